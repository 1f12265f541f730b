//! A rule's lead: the parts of its pattern that come before the literal the
//! prefilter finds, read backwards from a literal occurrence, to rule the
//! occurrence out without searching around it.
//!
//! In: a rule's syntax tree whose top level is a concatenation `P L S`,
//! where every match holds one of the rule's literals at the start of what
//! `L` matched (or after one of a few lead-ins: `wo` when the literal `man`
//! stands for `woman`; see [`crate::prefilter::Requirement`]). Out: whether
//! `P`, then a lead-in, can match text ending at an occurrence.
//!
//! Why a hit it rules out can be skipped: every match holds such an
//! occurrence, which the lead accepts (`P` matched the text before it), so
//! no match is lost; and a window searched for a hit finds matches that
//! hold other hits too, which are searched for anyway. On news text most
//! hits of the costliest rules are ruled out within a few bytes: "the man"
//! is no "a man", nor "2019, a" a name before ", a".

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Capture, Class, ClassBytes, ClassBytesRange, Hir, HirKind, Repetition};

use crate::prefilter::min_len;

/// Lead caches stay small: a rule's lead sees a few bytes before each hit
/// (a cache that fills up is cleared and filled again, or the search gives
/// up and the hit is kept).
const CACHE_BYTES: usize = 512 << 10;

/// The reversed automaton of a rule's lead.
#[derive(Debug)]
pub struct Lead {
    dfa: DFA,
}

/// Search state for a [`Lead`], one per thread.
#[derive(Debug)]
pub struct LeadCache(Cache);

impl Lead {
    /// The lead of `tree` when its literals start part `factor` of its
    /// top-level concatenation, after one of `lead_ins` or nothing; `None`
    /// when the tree is not such a concatenation or the lead does not build.
    pub fn new(tree: &Hir, factor: usize, lead_ins: &[String]) -> Option<Lead> {
        let HirKind::Concat(parts) = tree.kind() else {
            return None;
        };
        let before = parts.get(..factor)?;
        // Read back only to the last part of unbounded length (a name, in
        // "Garcia, a Honduran citizen"), when what follows it always holds
        // a few bytes (", a "): that rules out nearly as much, with a far
        // smaller automaton (a name read backwards has many states).
        let after_unbounded = before
            .iter()
            .rposition(|part| part.properties().maximum_len().is_none())
            .map_or(0, |last| last + 1);
        let from = if min_len(&before[after_unbounded..]) >= SELECTIVE_LEN {
            after_unbounded
        } else {
            0
        };
        let mut lead: Vec<Hir> = before[from..].iter().map(uncounted).collect();
        lead.push(Hir::alternation(
            std::iter::once(Hir::empty())
                .chain(lead_ins.iter().map(|text| caseless(text)))
                .collect(),
        ));
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .reverse(true)
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_from_hir(&Hir::concat(lead))
            .ok()?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .cache_capacity(CACHE_BYTES)
                    .skip_cache_capacity_check(true)
                    .unicode_word_boundary(true),
            )
            .build_from_nfa(nfa)
            .ok()?;
        Some(Lead { dfa })
    }

    /// Fresh search state for this lead.
    pub fn create_cache(&self) -> LeadCache {
        LeadCache(self.dfa.create_cache())
    }

    /// False when no text of `haystack[from..at]` ending at `at` matches
    /// the lead: then no match holds the literal occurrence starting at
    /// `at` where the rule's literal part starts. True also when the lazy
    /// DFA cannot tell (a Unicode word boundary beside non-ASCII text, or
    /// a cache that keeps filling up).
    pub fn may_end_at(
        &self,
        cache: &mut LeadCache,
        haystack: &str,
        from: usize,
        at: usize,
    ) -> bool {
        let input = Input::new(haystack)
            .range(from..at)
            .anchored(Anchored::Yes)
            .earliest(true);
        !matches!(self.dfa.try_search_rev(&mut cache.0, &input), Ok(None))
    }
}

/// `hir` with no upper bound on a repetition counted past one: `(?:x\s){0,3}`
/// becomes `(?:x\s)*`. A lead may accept more than the pattern's parts do
/// (the search decides), and counting makes its automaton large: read
/// backwards, "a Honduran illegal alien" is in a different state for each
/// count of capitalized words and adjectives so far. `person.indefinite`'s
/// lead cache filled up and was cleared 7 times in 3 passes over 64 MB;
/// uncounted, it never fills, and its search time fell from 19 to 12 ms
/// a pass.
fn uncounted(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            max: repetition
                .max
                .filter(|&max| max <= 1 || max == repetition.min),
            sub: Box::new(uncounted(&repetition.sub)),
            ..repetition.clone()
        }),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(uncounted).collect()),
        HirKind::Alternation(alternatives) => {
            Hir::alternation(alternatives.iter().map(uncounted).collect())
        }
        HirKind::Capture(capture) => Hir::capture(Capture {
            sub: Box::new(uncounted(&capture.sub)),
            ..capture.clone()
        }),
        _ => hir.clone(),
    }
}

/// What the part of a lead after its last unbounded part must match at
/// least to stand for the whole lead.
const SELECTIVE_LEN: usize = 3;

/// `text` matched ASCII-case-insensitively, as the prefilter finds literals.
fn caseless(text: &str) -> Hir {
    Hir::concat(
        text.bytes()
            .map(|b| {
                let mut class = ClassBytes::new([ClassBytesRange::new(b, b)]);
                class.case_fold_simple();
                Hir::class(Class::Bytes(class))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lead of `pattern`, where the prefilter's analysis puts it.
    fn lead(pattern: &str) -> Lead {
        let tree = regex_syntax::parse(pattern).unwrap();
        let required = crate::prefilter::requirement_of(&tree);
        Lead::new(&tree, required.factor.unwrap(), &required.lead_ins).unwrap()
    }

    /// Whether the lead of `pattern` can end where a text's last "man" starts.
    fn ends_before_man(pattern: &str) -> impl FnMut(&str) -> bool {
        let lead = lead(pattern);
        let mut cache = lead.create_cache();
        move |text| {
            let at = text.rfind("man").unwrap();
            lead.may_end_at(&mut cache, text, 0, at)
        }
    }

    #[test]
    fn a_hit_stays_only_where_the_parts_before_its_literal_can_end() {
        let mut ends_at = ends_before_man(r"\b(?:an?|one)\s(?:[A-Z][a-z]+\s)?(man|woman)\b");
        assert!(ends_at("He saw a man"));
        assert!(ends_at("He saw one Honduran man"));
        assert!(!ends_at("He saw the man"));
        assert!(!ends_at("He saw a good man"));
    }

    #[test]
    fn counted_repetitions_read_back_as_far_as_they_go() {
        let mut ends_at = ends_before_man(r"\b(?:an?|one)\s(?:[a-z]{3}\s){0,2}(man|woman)\b");
        assert!(ends_at("He saw a big old man"));
        assert!(
            ends_at("He saw a big old red man"),
            "more than the count: the search decides"
        );
        assert!(!ends_at("He saw the big man"));
        assert!(!ends_at("He saw a large man"));
    }

    #[test]
    fn a_literal_standing_for_longer_ones_is_read_after_their_lead_ins() {
        // `man` (not bounded here) stands for `woman` too.
        let mut ends_at = ends_before_man(r"[a-z]+(man|woman)");
        assert!(ends_at("a policeman"));
        assert!(
            ends_at("a superWOman"),
            "the lead-in as the prefilter finds it"
        );
        assert!(!ends_at("a WOman"));
        assert!(!ends_at("a man"));
    }

    #[test]
    fn the_lead_reads_no_further_back_than_asked() {
        let lead = lead(r"x+y (cde)");
        let mut cache = lead.create_cache();
        assert!(lead.may_end_at(&mut cache, "axxy cde", 0, 3));
        assert!(lead.may_end_at(&mut cache, "axxy cde", 2, 3));
        assert!(!lead.may_end_at(&mut cache, "axxy cde", 3, 3));
    }

    #[test]
    fn only_a_concatenation_with_that_many_parts_has_a_lead() {
        let tree = regex_syntax::parse("a|b").unwrap();
        assert!(Lead::new(&tree, 1, &[]).is_none());
        let tree = regex_syntax::parse("ab+c").unwrap();
        assert!(Lead::new(&tree, 9, &[]).is_none());
    }
}
