//! Prefilter: which rules can match which sentences, from one scan.
//!
//! In (compile time): each rule's expanded pattern. Out: for each rule a
//! set of literals, one of which every match must contain, derived from the
//! regex's syntax tree (so rule authors never maintain them). In (run
//! time): a document's view and sentences. Out: for each rule the sentences
//! worth running it on. One Aho-Corasick pass replaces most regex passes:
//! on news text most rules have nothing to find in most sentences.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Literal sets larger than this are not expanded further (cross products).
const MAX_SET: usize = 256;
/// Literals shorter than this occur nearly everywhere; a set holding one is useless.
const MIN_USEFUL_LEN: usize = 2;

/// The literals one of which every match of `pattern` contains (lowercase,
/// compared ASCII-case-insensitively), or `None` when no useful set exists
/// and the rule must run on every sentence.
pub fn required_literals(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    literals_of(&hir)
}

/// [`required_literals`] of an already parsed pattern.
pub fn literals_of(hir: &Hir) -> Option<Vec<String>> {
    let set = minimal(required(hir)?);
    set.iter().all(|l| l.len() >= MIN_USEFUL_LEN).then_some(set)
}

/// Drops every literal that contains another one of the set: wherever it
/// occurs, the shorter one occurs too.
fn minimal(mut set: Vec<String>) -> Vec<String> {
    set.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    set.dedup();
    let mut kept: Vec<String> = Vec::new();
    for literal in set {
        if !kept.iter().any(|k| literal.contains(k.as_str())) {
            kept.push(literal);
        }
    }
    kept.sort();
    kept
}

/// Every string `hir` can match, when that set is finite and small.
fn exact(hir: &Hir) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![String::new()]),
        HirKind::Literal(lit) => Some(vec![std::str::from_utf8(&lit.0).ok()?.to_lowercase()]),
        HirKind::Class(class) => {
            class_chars(class).map(|cs| cs.into_iter().map(String::from).collect())
        }
        HirKind::Capture(cap) => exact(&cap.sub),
        HirKind::Repetition(rep) if rep.min == 0 && rep.max == Some(1) => {
            let mut set = exact(&rep.sub)?;
            set.push(String::new());
            Some(set)
        }
        HirKind::Repetition(rep) if rep.min == 1 && rep.max == Some(1) => exact(&rep.sub),
        HirKind::Repetition(_) => None,
        HirKind::Concat(subs) => subs
            .iter()
            .try_fold(vec![String::new()], |acc, sub| product(&acc, &exact(sub)?)),
        HirKind::Alternation(subs) => {
            let mut set = Vec::new();
            for sub in subs {
                set.extend(exact(sub)?);
                if set.len() > MAX_SET {
                    return None;
                }
            }
            Some(set)
        }
    }
}

fn product(left: &[String], right: &[String]) -> Option<Vec<String>> {
    if left.len() * right.len() > MAX_SET {
        return None;
    }
    Some(
        left.iter()
            .flat_map(|l| right.iter().map(move |r| format!("{l}{r}")))
            .collect(),
    )
}

/// A class as the characters it stands for: one lowercase letter for a
/// case-insensitive letter (`[Kk\u{212A}]` -> `k`), or a few characters.
fn class_chars(class: &Class) -> Option<Vec<char>> {
    let chars: Vec<char> = match class {
        Class::Unicode(c) => {
            let size: u32 = c
                .ranges()
                .iter()
                .map(|r| r.end() as u32 - r.start() as u32 + 1)
                .sum();
            if size > 4 {
                return None;
            }
            c.ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .collect()
        }
        Class::Bytes(c) => {
            let size: usize = c
                .ranges()
                .iter()
                .map(|r| usize::from(r.end() - r.start()) + 1)
                .sum();
            if size > 4 {
                return None;
            }
            c.ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .filter(u8::is_ascii)
                .map(char::from)
                .collect()
        }
    };
    let ascii: Vec<char> = chars
        .iter()
        .filter(|c| c.is_ascii())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let letter = ascii.first().copied().filter(|c| c.is_ascii_alphabetic());
    match letter {
        // Case variants of one letter, possibly with Unicode folds (Kelvin sign, long s).
        Some(l) if ascii.iter().all(|c| *c == l) => Some(vec![l]),
        _ => {
            let mut out: Vec<char> = chars.iter().flat_map(|c| c.to_lowercase()).collect();
            out.dedup();
            Some(out)
        }
    }
}

/// A set of literals one of which every match contains, or `None`.
fn required(hir: &Hir) -> Option<Vec<String>> {
    if let Some(set) = exact(hir) {
        if set.iter().all(|s| !s.is_empty()) {
            return Some(set);
        }
    }
    match hir.kind() {
        HirKind::Capture(cap) => required(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub),
        HirKind::Alternation(subs) => {
            let mut set = Vec::new();
            for sub in subs {
                set.extend(required(sub)?);
            }
            Some(set)
        }
        HirKind::Concat(subs) => best_factor(subs),
        _ => None,
    }
}

/// The most selective requirement among the parts of a concatenation: runs of
/// adjacent exact parts are joined into longer literals, other parts are
/// asked for their own requirement.
fn best_factor(subs: &[Hir]) -> Option<Vec<String>> {
    let mut candidates: Vec<Vec<String>> = Vec::new();
    let mut run: Option<Vec<String>> = None;
    for sub in subs {
        match (exact(sub), run.take()) {
            (Some(set), Some(prev)) => run = product(&prev, &set).or(Some(set)),
            (Some(set), None) => run = Some(set),
            (None, prev) => {
                candidates.extend(prev);
                candidates.extend(required(sub));
            }
        }
    }
    candidates.extend(run);
    candidates.retain(|set| set.iter().all(|s| !s.is_empty()));
    candidates.into_iter().max_by_key(|set| score(set))
}

/// Longer shortest literal is better; among equals, fewer literals.
fn score(set: &[String]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(String::len).min().unwrap_or(0);
    (shortest.min(8), std::cmp::Reverse(set.len()))
}

/// The compiled prefilter of a pack.
#[derive(Debug)]
pub struct Prefilter {
    scanner: AhoCorasick,
    /// Literal index -> rules that require it.
    rules_of: Vec<Vec<usize>>,
    /// Rules with no literal requirement: they run on every sentence.
    always: Vec<usize>,
    rule_count: usize,
}

impl Prefilter {
    /// Builds the prefilter from each rule's literal set (`None` = always run).
    pub fn new(rule_literals: &[Option<Vec<String>>]) -> Prefilter {
        let mut literals: Vec<String> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (rule, set) in rule_literals.iter().enumerate() {
            let Some(set) = set else {
                always.push(rule);
                continue;
            };
            for literal in set {
                let id = *index.entry(literal.clone()).or_insert_with(|| {
                    literals.push(literal.clone());
                    rules_of.push(Vec::new());
                    literals.len() - 1
                });
                if rules_of[id].last() != Some(&rule) {
                    rules_of[id].push(rule);
                }
            }
        }
        let scanner = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .expect("prefilter literals always build");
        Prefilter {
            scanner,
            rules_of,
            always,
            rule_count: rule_literals.len(),
        }
    }

    /// For each rule, the sentences (indexes, ascending) it may match in.
    pub fn candidates(&self, view: &str, sentences: &[Range<usize>]) -> Vec<Vec<u32>> {
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); self.rule_count];
        let all: Vec<u32> = (0..sentences.len() as u32).collect();
        for &rule in &self.always {
            out[rule] = all.clone();
        }
        let mut sentence = 0;
        for hit in self.scanner.find_overlapping_iter(view) {
            while sentence < sentences.len() && sentences[sentence].end <= hit.start() {
                sentence += 1;
            }
            let Some(range) = sentences.get(sentence) else {
                break;
            };
            if hit.start() < range.start || hit.end() > range.end {
                continue;
            }
            for &rule in &self.rules_of[hit.pattern().as_usize()] {
                let list = &mut out[rule];
                if list.last() != Some(&(sentence as u32)) {
                    list.push(sentence as u32);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(pattern: &str) -> Option<Vec<String>> {
        required_literals(pattern)
    }

    #[test]
    fn picks_the_most_selective_literal_of_a_concatenation() {
        assert_eq!(
            lits(r"(?i)\b(?P<value>\d{1,3}|two)(?:-|\s)years?(?:-|\s)old\b"),
            Some(vec!["year".to_string()])
        );
        assert_eq!(
            lits(r"(?i)\b(?:arrested|charged)\b[^.]{1,40}"),
            Some(vec!["arrested".to_string(), "charged".to_string()])
        );
    }

    #[test]
    fn alternations_need_every_branch_to_have_literals() {
        assert_eq!(
            lits(r"foo\d+|bar"),
            Some(vec!["bar".to_string(), "foo".to_string()])
        );
        assert_eq!(lits(r"foo|\d+"), None);
        assert_eq!(
            lits(r"(?i)\b(?:he|she)\b"),
            Some(vec!["he".to_string()]),
            "'she' contains 'he'"
        );
    }

    #[test]
    fn optional_parts_are_not_required() {
        assert_eq!(lits(r"(?:abc)?\d+"), None);
        assert_eq!(
            lits(r"x(?:abc)?yz"),
            Some(vec!["xabcyz".to_string(), "xyz".to_string()])
        );
    }

    #[test]
    fn candidates_are_the_sentences_holding_a_literal() {
        let pre = Prefilter::new(&[
            Some(vec!["arrest".into()]),
            None,
            Some(vec!["detainer".into()]),
        ]);
        let view = "He was ARRESTED. Nothing here. A detainer and an arrest.";
        let sentences = [0..16, 17..30, 31..view.len()];
        assert_eq!(
            pre.candidates(view, &sentences),
            vec![vec![0, 2], vec![0, 1, 2], vec![2]]
        );
    }
}
