//! Where a rule's matches can start, for patterns that begin at the start
//! of the sentence or right after a rare byte: `(?:^|;\s)Name was ...`.
//!
//! In: a rule's syntax tree. Out: a [`Starts`] when every match starts
//! either at the haystack's start (a `^` alternative) or at one of a few
//! bytes (the first byte of every other alternative); `None` otherwise.
//! Searched unanchored, such a pattern costs a lazy DFA walk over the
//! whole sentence, looking for the rare byte; searched anchored at each
//! place a match can start, it costs one short walk at the sentence start
//! and a `memchr` for the bytes. Both give the same match: the leftmost
//! place with a match, and there the same leftmost-first preference.

use regex_syntax::hir::{Hir, HirKind, Look};

use crate::prefilter::class_ranges;

/// The places a pattern's matches can start (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Starts {
    /// The first bytes of the alternatives other than `^`: one to three.
    bytes: Vec<u8>,
}

/// More first bytes than this and a `memchr` gives way to the lazy DFA.
const MAX_BYTES: usize = 3;

impl Starts {
    /// The starts of `tree`'s matches, when it is a concatenation (or an
    /// alternation) whose first part is an alternation of a `^` and of
    /// branches that each begin with one of a few bytes.
    pub fn of(tree: &Hir) -> Option<Starts> {
        let HirKind::Alternation(branches) = head(tree)?.kind() else {
            return None;
        };
        let mut at_start = false;
        let mut bytes = Vec::new();
        for branch in branches {
            let head = head(branch)?;
            if matches!(head.kind(), HirKind::Look(Look::Start)) {
                at_start = true;
            } else {
                bytes.extend(first_bytes(head)?);
            }
        }
        bytes.sort_unstable();
        bytes.dedup();
        (at_start && !bytes.is_empty() && bytes.len() <= MAX_BYTES).then_some(Starts { bytes })
    }

    /// The first place at or after `from` and before `end` where a match
    /// can start in `haystack`: its start (when `from` is 0), or one of the
    /// bytes.
    pub fn next(&self, haystack: &[u8], from: usize, end: usize) -> Option<usize> {
        if from == 0 {
            return Some(0);
        }
        let window = haystack.get(from..end)?;
        let found = match self.bytes.as_slice() {
            [a] => memchr::memchr(*a, window),
            [a, b] => memchr::memchr2(*a, *b, window),
            [a, b, c] => memchr::memchr3(*a, *b, *c, window),
            _ => unreachable!("one to three bytes (see Starts::of)"),
        };
        found.map(|at| from + at)
    }
}

/// The first part of `hir`: its own first part when it is a
/// concatenation, else itself.
fn head(hir: &Hir) -> Option<&Hir> {
    match hir.kind() {
        HirKind::Concat(parts) => parts.first(),
        _ => Some(hir),
    }
}

/// The bytes the matches of a branch whose first part is `head` begin
/// with, when that is an ASCII literal or a class of a few ASCII characters.
fn first_bytes(head: &Hir) -> Option<Vec<u8>> {
    match head.kind() {
        HirKind::Literal(literal) => literal.0.first().filter(|b| b.is_ascii()).map(|&b| vec![b]),
        HirKind::Class(class) => {
            let (ranges, _) = class_ranges(class);
            let count: u32 = ranges.iter().map(|&(start, end)| end - start + 1).sum();
            let ascii = ranges.iter().all(|&(_, end)| end < 0x80);
            (count as usize <= MAX_BYTES && ascii).then(|| {
                ranges
                    .iter()
                    .flat_map(|&(start, end)| start..=end)
                    .map(|b| b as u8)
                    .collect()
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(pattern: &str) -> Option<Vec<u8>> {
        let tree = regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .unwrap();
        Starts::of(&tree).map(|s| s.bytes)
    }

    #[test]
    fn a_start_or_a_few_bytes_begin_every_match() {
        assert_eq!(starts(r"(?:^|;\s)[A-Z][a-z]+\swas"), Some(vec![b';']));
        assert_eq!(starts(r"(?:^|:\s|;)(?i:nurse)"), Some(vec![b':', b';']));
        assert_eq!(starts(r"(?:^|[;:]\s)x"), Some(vec![b':', b';']));
        assert_eq!(starts(r"(?i:^|x)y"), Some(vec![b'X', b'x']));
        assert_eq!(starts(r"^|;"), Some(vec![b';']));
        assert_eq!(starts(r"(?:^\s*|;)x"), Some(vec![b';']));
    }

    #[test]
    fn other_shapes_have_no_starts() {
        // No `^` alternative: the lazy DFA skips to the bytes as well.
        assert_eq!(starts(r"(?:,|;)\sx"), None);
        // A multi-line `^` also matches after a line break.
        assert_eq!(starts(r"(?m:^|;)x"), None);
        // A branch that can begin anywhere.
        assert_eq!(starts(r"(?:^|\bfoo)x"), None);
        assert_eq!(starts(r"(?:^|[a-z])x"), None);
        // Too many bytes for a memchr.
        assert_eq!(starts(r"(?:^|a|b|c|d)x"), None);
        // The alternation is not first.
        assert_eq!(starts(r"x(?:^|;)"), None);
        // Non-ASCII first characters (their first bytes are shared).
        assert_eq!(starts(r"(?:^|é)x"), None);
        assert_eq!(starts(r"(?:^|[é;])x"), None);
    }

    #[test]
    fn next_is_the_haystack_start_then_each_byte() {
        let starts = Starts { bytes: vec![b';'] };
        let text = b"Ruiz said; Lopez was; x";
        assert_eq!(starts.next(text, 0, text.len()), Some(0));
        assert_eq!(starts.next(text, 1, text.len()), Some(9));
        assert_eq!(starts.next(text, 10, text.len()), Some(20));
        assert_eq!(starts.next(text, 10, 20), None);
        assert_eq!(starts.next(text, 21, text.len()), None);
        assert_eq!(starts.next(text, 30, text.len()), None);
    }
}
