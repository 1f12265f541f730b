//! A rule's pattern cut around its value group, to find that group without
//! the regex engine's capture search.
//!
//! In: a rule's syntax tree whose top level is a concatenation `A (?P<value>B) C`,
//! and a match of the whole pattern. Out: the group's span, found with
//! three anchored DFA searches (A from the match start, B from A's end, C
//! from B's end) instead of the bounded backtracker, whose cost grows with
//! the match length times the size of the automaton (over half of the
//! search time of a rule whose matches run to the end of a clause).
//!
//! Why that is the group the engine would report: leftmost-first matching
//! takes the first complete path in priority order, and the priority of a
//! concatenation's paths is that of A's paths, then B's, then C's. A's own
//! leftmost-first match from the match start is A's first complete path;
//! if B then matches from its end, and C from B's end, no earlier path
//! exists, so the whole match is that path and the group is B's part.
//! When B or C fails there, the whole match takes a later path of A or B:
//! [`Split::group`] then says it cannot tell, and the caller asks the
//! engine.

use regex_automata::meta::{self, Regex};
use regex_automata::{Anchored, Input, Match, Span};
use regex_syntax::hir::{Hir, HirKind};

/// The three parts of a pattern around its value group, each compiled to
/// be searched from a given position.
#[derive(Debug)]
pub struct Split {
    before: Option<Regex>,
    group: Regex,
    after: Option<Regex>,
}

/// Search state for a [`Split`], one per thread.
#[derive(Debug)]
pub struct SplitCache {
    before: Option<meta::Cache>,
    group: meta::Cache,
    after: Option<meta::Cache>,
}

impl Split {
    /// Cuts `tree` around capture group `index` when the group is one part
    /// of the top-level concatenation; `None` otherwise (or when a part
    /// does not compile with `builder`).
    pub fn new(tree: &Hir, index: u32, builder: &meta::Builder) -> Option<Split> {
        let parts = match tree.kind() {
            HirKind::Concat(parts) => parts.as_slice(),
            HirKind::Capture(_) => std::slice::from_ref(tree),
            _ => return None,
        };
        let at = parts
            .iter()
            .position(|part| matches!(part.kind(), HirKind::Capture(c) if c.index == index))?;
        let HirKind::Capture(group) = parts[at].kind() else {
            return None;
        };
        let compile = |parts: &[Hir]| -> Option<Option<Regex>> {
            if parts.is_empty() {
                return Some(None);
            }
            builder
                .build_from_hir(&Hir::concat(parts.to_vec()))
                .ok()
                .map(Some)
        };
        Some(Split {
            before: compile(&parts[..at])?,
            group: builder.build_from_hir(&group.sub).ok()?,
            after: compile(&parts[at + 1..])?,
        })
    }

    /// Fresh search state for this split.
    pub fn create_cache(&self) -> SplitCache {
        SplitCache {
            before: self.before.as_ref().map(Regex::create_cache),
            group: self.group.create_cache(),
            after: self.after.as_ref().map(Regex::create_cache),
        }
    }

    /// The value group's span in `found`, a match of the whole pattern in
    /// `input`, or `None` when the group is not on the path the parts find
    /// first (see the module doc).
    pub fn group(&self, cache: &mut SplitCache, input: &Input, found: Match) -> Option<Span> {
        let end_of = |regex: Option<&Regex>, cache: Option<&mut meta::Cache>, from: usize| match (
            regex, cache,
        ) {
            (Some(regex), Some(cache)) => {
                let from = input.clone().range(from..).anchored(Anchored::Yes);
                regex.search_half_with(cache, &from).map(|m| m.offset())
            }
            _ => Some(from),
        };
        let start = end_of(self.before.as_ref(), cache.before.as_mut(), found.start())?;
        let end = end_of(Some(&self.group), Some(&mut cache.group), start)?;
        let whole = end_of(self.after.as_ref(), cache.after.as_mut(), end)?;
        (whole == found.end()).then_some(Span { start, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pattern: &str) -> (Regex, Option<Split>) {
        let tree = regex_syntax::parse(pattern).unwrap();
        let builder = meta::Builder::new();
        (
            builder.build_from_hir(&tree).unwrap(),
            Split::new(&tree, 1, &builder),
        )
    }

    #[test]
    fn only_a_group_that_is_a_part_of_the_top_concatenation_splits() {
        assert!(split(r"a(b+)c").1.is_some());
        assert!(split(r"(b+)c").1.is_some());
        assert!(split(r"a(?:x|(b+))c").1.is_none(), "inside an alternation");
        assert!(split(r"x|a(b)").1.is_none(), "the top is an alternation");
    }

    #[test]
    fn a_group_off_the_first_path_of_the_part_before_is_left_to_the_engine() {
        // "ab" is the first path of `(?:ab|a)`, but the whole match "abc"
        // needs its second, "a".
        let (whole, split) = split(r"(?:ab|a)(b)c");
        let split = split.unwrap();
        let input = Input::new("abc");
        let found = whole.find(input.clone()).unwrap();
        assert_eq!(split.group(&mut split.create_cache(), &input, found), None);
        let (whole, split) = split_of(r"(?:a|ab)(b)c");
        let found = whole.find(input.clone()).unwrap();
        assert_eq!(
            split.group(&mut split.create_cache(), &input, found),
            Some(Span { start: 1, end: 2 })
        );
    }

    fn split_of(pattern: &str) -> (Regex, Split) {
        let (whole, split) = split(pattern);
        (whole, split.unwrap())
    }

    const BEFORE: &[&str] = &[
        "",
        "a",
        "ab?",
        "a+",
        "[ab]{0,2}",
        "(?:a|ab)",
        "(?:ab|a)",
        r"\ba",
        "a*?",
    ];
    const GROUP: &[&str] = &[
        "b", "b+?", "[ab]*", "(?:b|ba)", "(?:ba|b)", "a?", "", r"b\b",
    ];
    const AFTER: &[&str] = &["", "b", r"a\b", "(?:ab|a)", "c?", "[bc]+", "$"];

    proptest::proptest! {
        /// Wherever the parts vouch for a group, it is the group the
        /// engine's capture search reports.
        #[test]
        fn the_group_the_parts_find_is_the_engines(
            before in proptest::sample::select(BEFORE),
            group in proptest::sample::select(GROUP),
            after in proptest::sample::select(AFTER),
            text in "[abc ]{0,12}",
            from in 0usize..4,
        ) {
            let pattern = format!("{before}({group}){after}");
            let (whole, split) = split_of(&pattern);
            let mut caps = whole.create_captures();
            let mut cache = split.create_cache();
            let input = Input::new(&text).range(from.min(text.len())..);
            whole.search_captures(&input, &mut caps);
            if let Some(found) = caps.get_match() {
                if let Some(span) = split.group(&mut cache, &input, found) {
                    proptest::prop_assert_eq!(Some(span), caps.get_group(1), "{}", pattern);
                }
            }
        }
    }
}
