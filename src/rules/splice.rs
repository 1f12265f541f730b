//! Lexicon alternations parsed once per pack, not once per rule.
//!
//! In (load): each lexicon alternation a rule references, registered as it
//! is expanded; the rule's pattern keeps a placeholder in its place (its
//! "skeleton"). Out (compile): the rule's syntax tree, parsed from the
//! skeleton with each alternation's tree, parsed once for the pack, spliced
//! in. Alternations are most of a pattern's text, and parsing was half the
//! cost of compiling a rule. Their flags are explicit (see
//! `Lexicon::alternation`), so parsing one alone gives the tree it has
//! inside any pattern; whatever the splice cannot vouch for (a placeholder
//! escaped, inside a class or a comment) falls back to parsing the pattern
//! written out.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};

use super::alternation::Phrases;

/// Placeholders are pairs of characters from this Private Use plane; a pack
/// whose own patterns use the plane gets no placeholders.
const PLANE: std::ops::RangeInclusive<u32> = 0xF0000..=0xFFFFD;

/// The alternations registered while a pack's patterns are expanded.
#[derive(Debug, Default)]
pub struct Registry {
    parts: Vec<Arc<Part>>,
    index: HashMap<String, usize>,
}

impl Registry {
    /// What stands for `alternation` in a skeleton: a group holding two
    /// characters that no pattern of the pack uses, never split by the
    /// parser (a group, so a repetition after it repeats it whole; two
    /// characters, so an alternation of placeholders never becomes a class).
    /// The alternation itself when the plane is full.
    pub fn placeholder(&mut self, alternation: String, phrases: Option<Phrases>) -> String {
        let next = self.parts.len();
        let k = *self.index.entry(alternation.clone()).or_insert(next);
        if k == next {
            self.parts.push(Arc::new(Part {
                source: alternation,
                phrases,
                tree: OnceLock::new(),
            }));
        }
        match pair(k) {
            Some((first, second)) => format!("(?:{first}{second})"),
            None => self.parts[k].source.clone(),
        }
    }

    /// `skeleton` with every placeholder written out as its alternation.
    pub fn written_out(&self, skeleton: &str) -> String {
        self.written_pieces(skeleton).concat()
    }

    /// The length of [`Registry::written_out`], without writing it.
    pub fn written_out_len(&self, skeleton: &str) -> usize {
        self.written_pieces(skeleton).iter().map(|p| p.len()).sum()
    }

    /// The pieces the written-out pattern is made of, in order: the
    /// skeleton's text between placeholders, and their alternations.
    fn written_pieces<'a>(&'a self, skeleton: &'a str) -> Vec<&'a str> {
        let mut pieces = Vec::new();
        let mut rest = skeleton;
        while let Some((at, k, len)) = next_placeholder(rest) {
            pieces.extend([&rest[..at], self.parts[k].source.as_str()]);
            rest = &rest[at + len..];
        }
        pieces.push(rest);
        pieces
    }

    /// The alternations registered so far, each parsed (once, whichever
    /// holder needs it first) on first use.
    pub fn parts(&self) -> Parts {
        Parts {
            parts: self.parts.clone(),
        }
    }
}

/// True when `text` holds characters of the placeholder plane.
pub fn uses_plane(text: &str) -> bool {
    text.chars().any(|c| PLANE.contains(&u32::from(c)))
}

/// The two characters naming alternation `k`.
fn pair(k: usize) -> Option<(char, char)> {
    let first = PLANE
        .start()
        .checked_add(u32::try_from(k).ok()?.checked_mul(2)?)?;
    if first + 1 > *PLANE.end() {
        return None;
    }
    Some((char::from_u32(first)?, char::from_u32(first + 1)?))
}

/// The alternation a character pair names, if it is a placeholder's pair.
fn pair_index(first: char, second: char) -> Option<usize> {
    let (a, b) = (u32::from(first), u32::from(second));
    (PLANE.contains(&a) && (a - PLANE.start()) % 2 == 0 && b == a + 1)
        .then(|| ((a - PLANE.start()) / 2) as usize)
}

/// The first placeholder group in `text`: its byte offset, index and length.
fn next_placeholder(text: &str) -> Option<(usize, usize, usize)> {
    let mut from = 0;
    while let Some(found) = text[from..].find("(?:") {
        let at = from + found;
        let mut chars = text[at + 3..].chars();
        if let (Some(first), Some(second), Some(')')) = (chars.next(), chars.next(), chars.next()) {
            if let Some(k) = pair_index(first, second) {
                let len = 3 + first.len_utf8() + second.len_utf8() + 1;
                return Some((at, k, len));
            }
        }
        from = at + 3;
    }
    None
}

/// The pack's alternations, each parsed by the first rule that needs it.
#[derive(Debug, Default)]
pub struct Parts {
    parts: Vec<Arc<Part>>,
}

/// One registered alternation, shared by every rule that uses it.
#[derive(Debug)]
struct Part {
    source: String,
    /// The phrases it was written from, when known: its tree is then
    /// built, not parsed.
    phrases: Option<Phrases>,
    /// Its tree, made by the first rule that needs it.
    tree: OnceLock<Option<Hir>>,
}

impl Parts {
    /// The syntax tree of the pattern `skeleton` stands for, with ASCII
    /// letters case-folded to ASCII only (see `ascii_case_folds`), or
    /// `None` when the splice cannot vouch for it: the caller then parses
    /// the pattern written out (which also gives the error message worth
    /// showing).
    pub fn parse(&self, skeleton: &str) -> Option<Hir> {
        let mut expected = 0;
        let mut rest = skeleton;
        while let Some((at, _, len)) = next_placeholder(rest) {
            // An escaped '(' would make the placeholder mean something else.
            let backslashes = rest[..at].bytes().rev().take_while(|&b| b == b'\\').count();
            if backslashes % 2 == 1 {
                return None;
            }
            expected += 1;
            rest = &rest[at + len..];
        }
        let tree = parser().parse(skeleton).ok()?;
        let mut spliced = 0;
        let tree = self.splice(tree, &mut spliced)?;
        // Placeholders not found as literals sat in a class or a comment.
        (spliced == expected).then_some(tree)
    }

    fn part(&self, k: usize) -> Option<Hir> {
        let part = self.parts.get(k)?;
        part.tree
            .get_or_init(|| {
                match &part.phrases {
                    Some(phrases) => Some(phrases.tree()),
                    None => parser().parse(&part.source).ok(),
                }
                .map(super::ascii_case_folds)
            })
            .clone()
    }

    fn splice(&self, tree: Hir, spliced: &mut usize) -> Option<Hir> {
        map_leaves(tree, &mut |leaf| match leaf {
            HirKind::Literal(literal) => self.split_literal(&literal.0, spliced),
            HirKind::Class(class) => Some(Hir::class(super::ascii_class_folds(class))),
            other => Some(unchanged(other)),
        })
    }

    /// A literal with the placeholder pairs in it replaced by their trees.
    fn split_literal(&self, bytes: &[u8], spliced: &mut usize) -> Option<Hir> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Some(Hir::literal(bytes));
        };
        if !uses_plane(text) {
            return Some(Hir::literal(bytes));
        }
        let mut pieces = Vec::new();
        let mut plain_from = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let Some(&(next_at, next)) = chars.peek() else {
                break;
            };
            let Some(k) = pair_index(c, next) else {
                continue;
            };
            chars.next();
            pieces.push(Hir::literal(&bytes[plain_from..at]));
            pieces.push(self.part(k)?);
            *spliced += 1;
            plain_from = next_at + next.len_utf8();
        }
        pieces.push(Hir::literal(&bytes[plain_from..]));
        Some(Hir::concat(pieces))
    }
}

/// `tree` rebuilt with each leaf (a literal, class, look-around or empty
/// match) replaced by what `leaf` makes of it; `None` as soon as `leaf`
/// gives none.
pub(super) fn map_leaves(tree: Hir, leaf: &mut impl FnMut(HirKind) -> Option<Hir>) -> Option<Hir> {
    let all = |subs: Vec<Hir>, leaf: &mut _| -> Option<Vec<Hir>> {
        subs.into_iter().map(|h| map_leaves(h, leaf)).collect()
    };
    Some(match tree.into_kind() {
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(map_leaves(*rep.sub, leaf)?),
            ..rep
        }),
        HirKind::Capture(cap) => Hir::capture(Capture {
            sub: Box::new(map_leaves(*cap.sub, leaf)?),
            ..cap
        }),
        HirKind::Concat(subs) => Hir::concat(all(subs, leaf)?),
        HirKind::Alternation(subs) => Hir::alternation(all(subs, leaf)?),
        other => leaf(other)?,
    })
}

/// The tree of a leaf [`map_leaves`] passes, as it was.
pub(super) fn unchanged(leaf: HirKind) -> Hir {
    match leaf {
        HirKind::Literal(literal) => Hir::literal(literal.0),
        HirKind::Class(class) => Hir::class(class),
        HirKind::Look(look) => Hir::look(look),
        HirKind::Empty => Hir::empty(),
        inner => unreachable!("not a leaf: {inner:?}"),
    }
}

/// The parser the regex engine itself would use on a pattern string.
pub(super) fn parser() -> regex_syntax::Parser {
    regex_syntax::ParserBuilder::new().build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pattern: &str) -> Hir {
        parser().parse(pattern).unwrap()
    }

    /// Registers `alternations`, then checks that every skeleton parses to
    /// the tree of its written-out pattern (case folds as the rules compile
    /// them), or is refused.
    fn check(alternations: &[&str], skeleton_of: impl Fn(&[String]) -> String) -> Option<Hir> {
        let mut registry = Registry::default();
        let placeholders: Vec<String> = alternations
            .iter()
            .map(|a| registry.placeholder(a.to_string(), None))
            .collect();
        let skeleton = skeleton_of(&placeholders);
        let written = registry.written_out(&skeleton);
        assert_eq!(registry.written_out_len(&skeleton), written.len());
        let tree = registry.parts().parse(&skeleton);
        if let Some(tree) = &tree {
            let expected = super::super::ascii_case_folds(parse(&written));
            assert_eq!(tree, &expected, "skeleton {skeleton:?}");
        }
        tree
    }

    #[test]
    fn spliced_trees_equal_the_trees_of_the_written_out_patterns() {
        let a = "(?iu-x:mexic(?:an|o)|el\\ssalvador)";
        let b = "(?u-ix:DUI|DWI)";
        let shapes: [fn(&[String]) -> String; 7] = [
            |p| format!(r"\b(?P<value>{})\s(?i:national)\b", p[0]),
            |p| format!("(?i)a {} of {}", p[0], p[1]),
            |p| format!("{}{{0,2}}x", p[0]),
            |p| format!("(?:{}|{})", p[0], p[1]),
            |p| format!("(?:{}|{}|z)", p[1], p[1]),
            |p| format!(r"(?x) {} \s {}", p[0], p[1]),
            |p| format!("(?-u:x){}(?:y{})?", p[1], p[0]),
        ];
        for shape in shapes {
            assert!(check(&[a, b], shape).is_some());
        }
    }

    #[test]
    fn placeholders_the_splice_cannot_vouch_for_are_refused() {
        let a = "(?iu-x:one|two)";
        assert!(check(&[a], |p| format!(r"x\{}", p[0])).is_none());
        assert!(check(&[a], |p| format!("[{}]", p[0])).is_none());
        assert!(check(&[a], |p| format!("(?x)a # {}\nb", p[0])).is_none());
        // An even run of backslashes escapes itself, not the group.
        assert!(check(&[a], |p| format!(r"x\\{}", p[0])).is_some());
    }

    #[test]
    fn the_same_alternation_gets_the_same_placeholder() {
        let mut registry = Registry::default();
        let one = registry.placeholder("(?iu-x:a)".into(), None);
        let two = registry.placeholder("(?iu-x:b)".into(), None);
        assert_eq!(registry.placeholder("(?iu-x:a)".into(), None), one);
        assert_ne!(one, two);
        assert!(uses_plane(&one) && !uses_plane("(?iu-x:a)"));
    }
}
