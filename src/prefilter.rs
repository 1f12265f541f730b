//! Prefilter: which rules can match which sentences, from one scan.
//!
//! In (compile time): each rule's expanded pattern. Out: for each rule a
//! set of literals, one of which every match must contain, derived from the
//! regex's syntax tree (so rule authors never maintain them). In (run
//! time): a document's view and sentences. Out: for each rule the sentences
//! worth running it on. One Aho-Corasick pass replaces most regex passes:
//! on news text most rules have nothing to find in most sentences.

use std::ops::Range;

use std::cmp::Reverse;
use std::sync::atomic::AtomicU32;
use std::sync::OnceLock;

use aho_corasick::automaton::Automaton;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::built::BuiltOnce;
use crate::sorted::SortedForms;

/// Literal sets larger than this are not expanded further (cross products).
const MAX_SET: usize = 256;
/// Literals shorter than this occur nearly everywhere; a set holding one is
/// useless. Digits are the exception: most sentences of prose have none.
const MIN_USEFUL_LEN: usize = 2;
/// Classes of up to this many characters are expanded into literals
/// (larger ones only when they hold nothing but ASCII digits).
const MAX_CLASS: usize = 4;
/// A rule that needs one of more literals than this (a huge alternation)
/// gets none and runs on every sentence: trimming the set to the useful
/// ones is quadratic in its size. The default pack's largest set has 240.
const MAX_REQUIRED: usize = 4096;

/// A literal every match of some rule contains, with what the rule's regex
/// guarantees about the bytes on either side of it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(from = "LiteralRow", into = "LiteralRow")]
pub struct Literal {
    /// Lowercase; compared ASCII-case-insensitively.
    pub text: String,
    /// The byte before it is never an ASCII word byte (`[0-9A-Za-z_]`).
    pub bounded_before: bool,
    /// The byte after it is never an ASCII word byte.
    pub bounded_after: bool,
    /// The most bytes a match can hold before this occurrence (`None`: no
    /// bound). A match holding the literal starts at most this far before it.
    pub reach_back: Option<usize>,
}

/// A [`Literal`] as the embedded pack's analysis file keeps it:
/// `[text, bounded_before, bounded_after, reach_back]`.
type LiteralRow = (String, bool, bool, Option<usize>);

impl From<LiteralRow> for Literal {
    fn from((text, bounded_before, bounded_after, reach_back): LiteralRow) -> Self {
        Literal {
            text,
            bounded_before,
            bounded_after,
            reach_back,
        }
    }
}

impl From<Literal> for LiteralRow {
    fn from(l: Literal) -> Self {
        (l.text, l.bounded_before, l.bounded_after, l.reach_back)
    }
}

impl Literal {
    fn plain(text: String) -> Literal {
        Literal {
            text,
            bounded_before: false,
            bounded_after: false,
            reach_back: Some(0),
        }
    }

    /// Where an occurrence of `self` inside `other` is implied by every
    /// occurrence of `other` (so `other` adds nothing to a set holding
    /// `self`), as an offset in `other`.
    fn implied_by(&self, other: &Literal) -> Option<usize> {
        let outer = other.text.as_bytes();
        let inner = self.text.as_bytes();
        // Literals are short: a plain scan beats building a searcher per pair.
        (0..(outer.len() + 1).saturating_sub(inner.len()))
            .filter(|&at| outer[at..].starts_with(inner))
            .find(|&at| {
                let end = at + self.text.len();
                let before = !self.bounded_before
                    || if at == 0 {
                        other.bounded_before
                    } else {
                        !is_word_byte(outer[at - 1])
                    };
                let after = !self.bounded_after
                    || if end == outer.len() {
                        other.bounded_after
                    } else {
                        !is_word_byte(outer[end])
                    };
                before && after
            })
    }

    /// Moves the occurrence `by` bytes later in the match (or nowhere known).
    fn shifted(mut self, by: Option<usize>) -> Literal {
        self.reach_back = self.reach_back.zip(by).map(|(a, b)| a + b);
        self
    }

    fn is_useful(&self) -> bool {
        self.text.len() >= MIN_USEFUL_LEN
            || (!self.text.is_empty() && self.text.bytes().all(|b| b.is_ascii_digit()))
    }

    /// How selective an occurrence is: a bounded side counts like one more byte.
    fn weight(&self) -> usize {
        self.text.len() + usize::from(self.bounded_before) + usize::from(self.bounded_after)
    }
}

/// `\w` in ASCII: what an ASCII word boundary tests.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The literals one of which every match of `pattern` contains, or `None`
/// when no useful set exists and the rule must run on every sentence.
pub fn required_literals(pattern: &str) -> Option<Vec<Literal>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    literals_of(&hir)
}

/// [`required_literals`] of an already parsed pattern.
pub fn literals_of(hir: &Hir) -> Option<Vec<Literal>> {
    requirement_of(hir).literals
}

/// What every match of a pattern holds (see [`requirement_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// See [`required_literals`].
    pub literals: Option<Vec<Literal>>,
    /// When the pattern is a concatenation whose part `k` starts where
    /// every literal occurrence of a match starts, and the parts before it
    /// cannot match nothing: `k`. Those parts then match exactly the text
    /// from the match start to the occurrence (or to a lead-in before it),
    /// and an occurrence they cannot end at is held by no match (see
    /// [`crate::rules::lead`]).
    pub factor: Option<usize>,
    /// What may stand between where part `factor` starts and a literal
    /// occurrence: the start of a longer literal a shorter one stands for
    /// (`wo` when `man` stands for `woman`), lowercase, sorted; the empty
    /// string is always allowed and not listed.
    pub lead_ins: Vec<String>,
}

/// The literals of `hir` (see [`required_literals`]) and the part of it
/// they start, when there is one.
pub fn requirement_of(hir: &Hir) -> Requirement {
    let (set, factor) = match hir.kind() {
        HirKind::Concat(subs) => match best_factor(subs) {
            // Parts before the literals that can match nothing would rule
            // no occurrence out.
            Some((set, factor)) => (set, factor.filter(|&k| min_len(&subs[..k]) > 0)),
            None => return Requirement::none(),
        },
        _ => match required(hir) {
            Some(set) => (set, None),
            None => return Requirement::none(),
        },
    };
    // When every match starts at an occurrence (reach 0), the rule is
    // searched anchored at each hit: a literal gives way only to one that
    // starts with it ("arrest" for "arrested", not "guilty" for "pleaded
    // guilty"), which keeps that for one more literal or so.
    let at_starts = set.iter().all(|l| l.reach_back == Some(0));
    let (set, lead_ins) = minimal(set, |at| !at_starts || at == 0);
    if !set.iter().all(Literal::is_useful) {
        return Requirement::none();
    }
    Requirement {
        literals: Some(set),
        lead_ins: if factor.is_some() {
            lead_ins
        } else {
            Vec::new()
        },
        factor,
    }
}

impl Requirement {
    fn none() -> Requirement {
        Requirement {
            literals: None,
            factor: None,
            lead_ins: Vec::new(),
        }
    }
}

/// Drops every literal whose occurrences imply an occurrence of another
/// one of the set, at an offset in it that `accept` takes. Also gives what
/// comes before a kept literal inside the longer ones it now stands for
/// (see [`Requirement::lead_ins`]).
fn minimal(mut set: Vec<Literal>, accept: impl Fn(usize) -> bool) -> (Vec<Literal>, Vec<String>) {
    set.sort_by(|a, b| a.text.len().cmp(&b.text.len()).then_with(|| a.cmp(b)));
    set.dedup();
    let mut kept: Vec<Literal> = Vec::new();
    let mut lead_ins = std::collections::BTreeSet::new();
    for literal in set {
        let implied = kept.iter_mut().find_map(|k| {
            k.implied_by(&literal)
                .filter(|&at| accept(at))
                .map(|at| (k, at))
        });
        match implied {
            // The kept literal now also stands for this one's occurrences.
            Some((k, at)) => {
                let reach = literal.reach_back.map(|r| r + at);
                k.reach_back = k.reach_back.zip(reach).map(|(a, b)| a.max(b));
                if at > 0 {
                    lead_ins.insert(literal.text[..at].to_string());
                }
            }
            None => kept.push(literal),
        }
    }
    kept.sort();
    (kept, lead_ins.into_iter().collect())
}

/// The fewest bytes `parts` in a row can match.
pub(crate) fn min_len(parts: &[Hir]) -> usize {
    parts
        .iter()
        .map(|part| part.properties().minimum_len().unwrap_or(0))
        .sum()
}

/// Every string `hir` can match, when that set is finite and small.
fn exact(hir: &Hir) -> Option<Vec<String>> {
    // An unbounded part can match infinitely many strings.
    hir.properties().maximum_len()?;
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![String::new()]),
        HirKind::Literal(lit) => Some(vec![std::str::from_utf8(&lit.0).ok()?.to_lowercase()]),
        // Inside a sentence of the view this prefilter scans, every
        // whitespace run is one space: that is all a whitespace class meets.
        HirKind::Class(class) if is_whitespace_class(class) => Some(vec![" ".to_string()]),
        HirKind::Class(class) => {
            class_chars(class).map(|cs| cs.into_iter().map(String::from).collect())
        }
        HirKind::Capture(cap) => exact(&cap.sub),
        HirKind::Repetition(rep) => {
            let once = exact(&rep.sub)?;
            let mut set = Vec::new();
            let mut times = vec![String::new()];
            for count in 0..=rep.max? {
                if count >= rep.min {
                    set.extend(times.iter().cloned());
                    if set.len() > MAX_SET {
                        return None;
                    }
                }
                if count < rep.max? {
                    times = product(&times, &once)?;
                }
            }
            Some(set)
        }
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

/// A class's ranges as code points, and whether it is a byte class (whose
/// bytes above 0x7F are not characters).
pub(crate) fn class_ranges(class: &Class) -> (Vec<(u32, u32)>, bool) {
    match class {
        Class::Unicode(c) => (
            c.ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect(),
            false,
        ),
        Class::Bytes(c) => (
            c.ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect(),
            true,
        ),
    }
}

/// True for `\s` and its subsets that hold the space.
fn is_whitespace_class(class: &Class) -> bool {
    let (ranges, bytes) = class_ranges(class);
    let space = u32::from(b' ');
    ranges
        .iter()
        .any(|&(start, end)| (start..=end).contains(&space))
        && ranges.iter().all(|&(start, end)| {
            end - start < 64
                && (start..=end).filter_map(char::from_u32).all(|c| {
                    if bytes {
                        c.is_ascii_whitespace() || c == '\u{b}'
                    } else {
                        c.is_whitespace()
                    }
                })
        })
}

/// A class as the characters it stands for: one lowercase letter for a
/// case-insensitive letter (`[Kk\u{212A}]` -> `k`), or a few characters.
fn class_chars(class: &Class) -> Option<Vec<char>> {
    let (ranges, bytes) = class_ranges(class);
    let size: u32 = ranges.iter().map(|&(start, end)| end - start + 1).sum();
    let is_digit = |cp: u32| char::from_u32(cp).is_some_and(|c| c.is_ascii_digit());
    let digits = ranges
        .iter()
        .all(|&(start, end)| is_digit(start) && is_digit(end));
    if size > MAX_CLASS as u32 && !digits {
        return None;
    }
    let chars: Vec<char> = ranges
        .iter()
        .flat_map(|&(start, end)| start..=end)
        .filter_map(char::from_u32)
        .filter(|c| !bytes || c.is_ascii())
        .collect();
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
fn required(hir: &Hir) -> Option<Vec<Literal>> {
    Some(required_in(hir)?.into_iter().map(|(l, _)| l).collect())
}

/// [`required`], each literal with whether it is all that `hir` matched
/// when the match holds it (an exact alternative, such as `men` in
/// `(?:{{NOUN}}s|men)`): such a literal is bounded by what stands on both
/// sides of `hir` (see [`Bounds`]); one at its start, by what stands before.
fn required_in(hir: &Hir) -> Option<Vec<(Literal, bool)>> {
    let partial = |set: Vec<Literal>| set.into_iter().map(|l| (l, false)).collect();
    if let HirKind::Concat(subs) = hir.kind() {
        return best_factor(subs).map(|(set, _)| partial(set));
    }
    if let Some(set) = exact(hir) {
        if set.iter().all(|s| !s.is_empty()) {
            return Some(set.into_iter().map(|s| (Literal::plain(s), true)).collect());
        }
    }
    match hir.kind() {
        HirKind::Capture(cap) => required_in(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub).map(partial),
        HirKind::Alternation(subs) => {
            let mut set = Vec::new();
            for sub in subs {
                set.extend(required_in(sub)?);
                if set.len() > MAX_REQUIRED {
                    return None;
                }
            }
            Some(set)
        }
        _ => None,
    }
}

/// The most selective requirement among the parts of a concatenation: runs of
/// adjacent exact parts are joined into longer literals, other parts are
/// asked for their own requirement. With it, the part every one of its
/// literals starts, when they all start one.
fn best_factor(subs: &[Hir]) -> Option<(Vec<Literal>, Option<usize>)> {
    // before[k]: the longest the parts before part k can be.
    let before: Vec<Option<usize>> = std::iter::once(Some(0))
        .chain(subs.iter().scan(Some(0usize), |total, sub| {
            *total = total
                .zip(sub.properties().maximum_len())
                .map(|(a, b)| a + b);
            Some(*total)
        }))
        .collect();
    let mut candidates: Vec<(Vec<Literal>, Option<usize>)> = Vec::new();
    // The current run of exact parts: where it starts, and its strings.
    let mut run: Option<(usize, Vec<String>)> = None;
    for (k, sub) in subs.iter().enumerate() {
        match (exact(sub), run.take()) {
            (Some(set), Some((start, prev))) => match product(&prev, &set) {
                Some(joined) => run = Some((start, joined)),
                None => {
                    candidates.push((bounded(subs, start..k, prev, before[start]), Some(start)));
                    run = Some((k, set));
                }
            },
            (Some(set), None) => run = Some((k, set)),
            (None, prev) => {
                if let Some((start, set)) = prev {
                    candidates.push((bounded(subs, start..k, set, before[start]), Some(start)));
                }
                let bounds = Bounds::around(subs, k..k + 1);
                candidates.extend(required_in(sub).map(|set| {
                    let mut all_at_start = true;
                    let set = set
                        .into_iter()
                        .map(|(l, whole)| {
                            // A literal nothing of the part comes before
                            // (reach 0) starts where the part starts.
                            let at_start = whole || l.reach_back == Some(0);
                            all_at_start &= at_start;
                            bounds.apply(l, at_start, whole)
                        })
                        .map(|l| l.shifted(before[k]))
                        .collect();
                    (set, all_at_start.then_some(k))
                }));
            }
        }
    }
    if let Some((start, set)) = run {
        candidates.push((
            bounded(subs, start..subs.len(), set, before[start]),
            Some(start),
        ));
    }
    candidates.retain(|(set, _)| set.iter().all(Literal::is_useful));
    candidates.into_iter().max_by_key(|(set, _)| score(set))
}

/// The strings of the run `subs[run]` as literals, each bounded where the
/// regex forces a non-word byte beside it (see [`Bounds`]).
fn bounded(
    subs: &[Hir],
    run: Range<usize>,
    set: Vec<String>,
    reach_back: Option<usize>,
) -> Vec<Literal> {
    let bounds = Bounds::around(subs, run);
    set.into_iter()
        .map(|text| {
            let literal = Literal {
                reach_back,
                ..Literal::plain(text)
            };
            bounds.apply(literal, true, true)
        })
        .collect()
}

/// What a concatenation forces on either side of what its parts
/// `subs[run]` match: a word-boundary assertion there (a literal with a
/// word byte at that edge then has a non-word byte beside it), a text edge
/// assertion, or a neighbouring part that always ends (starts) with a
/// non-word byte, such as `\s`.
struct Bounds {
    word_before: bool,
    context_before: bool,
    word_after: bool,
    context_after: bool,
}

impl Bounds {
    fn around(subs: &[Hir], run: Range<usize>) -> Bounds {
        let is_look = |h: &&Hir| matches!(h.kind(), HirKind::Look(_));
        // The assertions at an edge: those just outside the run, and those
        // the run itself starts (ends) with; all hold at the same place.
        let looks_before = subs[..run.start]
            .iter()
            .rev()
            .take_while(is_look)
            .chain(subs[run.clone()].iter().take_while(is_look));
        let looks_after = subs[run.end..]
            .iter()
            .take_while(is_look)
            .chain(subs[run.clone()].iter().rev().take_while(is_look));
        let (word_before, edge_before) = looks(looks_before, true);
        let (word_after, edge_after) = looks(looks_after, false);
        Bounds {
            word_before,
            context_before: edge_before
                || neighbour_nonword(subs[..run.start].iter().rev(), Side::End),
            word_after,
            context_after: edge_after || neighbour_nonword(subs[run.end..].iter(), Side::Start),
        }
    }

    /// `literal` with these bounds too, on the sides where it stands at
    /// the edge of what the run matched.
    fn apply(&self, mut literal: Literal, at_start: bool, at_end: bool) -> Literal {
        let first = literal.text.bytes().next().is_some_and(is_word_byte);
        let last = literal.text.bytes().last().is_some_and(is_word_byte);
        literal.bounded_before |= at_start && (self.context_before || (self.word_before && first));
        literal.bounded_after |= at_end && (self.context_after || (self.word_after && last));
        literal
    }
}

/// Whether `looks` (the assertions at one edge of a run) hold a word
/// boundary, and whether they hold a text or line edge.
fn looks<'a>(looks: impl Iterator<Item = &'a Hir>, before: bool) -> (bool, bool) {
    use regex_syntax::hir::Look;
    let (mut word, mut edge) = (false, false);
    for hir in looks {
        let HirKind::Look(look) = hir.kind() else {
            continue;
        };
        match look {
            Look::WordAscii | Look::WordUnicode => word = true,
            Look::WordStartAscii
            | Look::WordStartUnicode
            | Look::WordStartHalfAscii
            | Look::WordStartHalfUnicode => word |= before,
            Look::WordEndAscii
            | Look::WordEndUnicode
            | Look::WordEndHalfAscii
            | Look::WordEndHalfUnicode => word |= !before,
            Look::Start | Look::StartLF | Look::StartCRLF => edge |= before,
            Look::End | Look::EndLF | Look::EndCRLF => edge |= !before,
            _ => {}
        }
    }
    (word, edge)
}

/// Which edge of a part is looked at.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Start,
    End,
}

/// What a part guarantees at one edge.
#[derive(Clone, Copy, PartialEq)]
enum Edge {
    /// It is never empty and its byte at that edge is never a word byte.
    NonWord,
    /// It may be empty; when it is not, its byte there is not a word byte.
    MaybeEmpty,
    /// Nothing known.
    Unknown,
}

/// True when the parts next to a run (nearest first) always put a non-word
/// byte right beside it.
fn neighbour_nonword<'a>(mut parts: impl Iterator<Item = &'a Hir>, side: Side) -> bool {
    parts
        .find_map(|part| match edge(part, side) {
            Edge::NonWord => Some(true),
            Edge::MaybeEmpty => None,
            Edge::Unknown => Some(false),
        })
        .unwrap_or(false)
}

fn edge(hir: &Hir, side: Side) -> Edge {
    let byte_edge = |b: Option<u8>| match b {
        Some(b) if !is_word_byte(b) => Edge::NonWord,
        _ => Edge::Unknown,
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Edge::MaybeEmpty,
        HirKind::Literal(lit) => byte_edge(match side {
            Side::Start => lit.0.first().copied(),
            Side::End => lit.0.last().copied(),
        }),
        HirKind::Class(class) if class_has_word_byte(class) => Edge::Unknown,
        HirKind::Class(_) => Edge::NonWord,
        HirKind::Capture(cap) => edge(&cap.sub, side),
        HirKind::Repetition(rep) => match (edge(&rep.sub, side), rep.min) {
            (Edge::NonWord, 0) => Edge::MaybeEmpty,
            (e, _) => e,
        },
        HirKind::Concat(subs) => {
            let mut parts: Box<dyn Iterator<Item = &Hir>> = match side {
                Side::Start => Box::new(subs.iter()),
                Side::End => Box::new(subs.iter().rev()),
            };
            parts
                .find_map(|part| match edge(part, side) {
                    Edge::MaybeEmpty => None,
                    e => Some(e),
                })
                .unwrap_or(Edge::MaybeEmpty)
        }
        HirKind::Alternation(subs) => {
            let edges: Vec<Edge> = subs.iter().map(|s| edge(s, side)).collect();
            if edges.contains(&Edge::Unknown) {
                Edge::Unknown
            } else if edges.iter().all(|e| *e == Edge::NonWord) {
                Edge::NonWord
            } else {
                Edge::MaybeEmpty
            }
        }
    }
}

/// True when the class holds an ASCII word character (non-ASCII
/// characters are never word bytes: their UTF-8 bytes are all >= 0x80).
fn class_has_word_byte(class: &Class) -> bool {
    let word = [(b'0', b'9'), (b'A', b'Z'), (b'_', b'_'), (b'a', b'z')];
    let overlaps = |start: u32, end: u32| {
        word.iter()
            .any(|&(lo, hi)| start <= u32::from(hi) && end >= u32::from(lo))
    };
    match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .any(|r| overlaps(r.start() as u32, r.end() as u32)),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .any(|r| overlaps(u32::from(r.start()), u32::from(r.end()))),
    }
}

/// Heavier shortest literal is better; among equals, fewer literals.
fn score(set: &[Literal]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(Literal::weight).min().unwrap_or(0);
    (shortest.min(8), std::cmp::Reverse(set.len()))
}

/// How often a literal must have stood inside words, of all its
/// occurrences, for the walk to look for it only after a non-word byte
/// (see [`Walk`]) ...
const INSIDE_WORDS: f64 = 0.5;
/// ... and at least how many times.
const INSIDE_WORDS_FROM: u32 = 16;

/// Input up to which the prefilter searches its sorted literals; after it,
/// the walk (see [`Walk`]) is built, in about 4 ms, and scans the rest at
/// about 450 MB/s. The sorted search costs about 300 instructions a byte;
/// the contiguous NFA that once scanned on to 256 KB ran about 60 MB/s and
/// now serves only while another thread builds the walk. The first 32 KB
/// of news pick 5 literals the walk looks for only after a non-word byte
/// (`he`, `her`, `men`, `resident`, `age `) where the first quarter
/// megabyte picked 15; the others' occurrences inside words are dropped by
/// the caller instead. CPU time, interleaved runs (task-clock medians):
/// 1 MB 106 -> 95 ms and 4 MB 163 -> 158 ms (21 rounds), 64 MB 1,113 ->
/// 1,083 ms (7 rounds, within this VM's noise).
const SORTED_UNTIL_BYTES: u64 = 32 << 10;

/// How a document is scanned. All three find the same occurrences, in the
/// same order; which one is cheapest depends on how much text is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// The sorted literals searched at each position: nothing to build.
    Sorted,
    /// An automaton that is quick to build, for the documents scanned
    /// while another thread builds the walk.
    Nfa,
    /// The walk: it scans about seven times as fast as the automaton,
    /// and takes a few milliseconds to build.
    Dfa,
}

fn scanner(literals: &[String], kind: AhoCorasickKind) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(literals)
        .expect("prefilter literals always build")
}

/// The Aho-Corasick automaton that [`Table`] lays out as a DFA for
/// [`each_match_in_pieces`], over patterns written as the walk reads text
/// (see [`Walk`]). A contiguous NFA: the table reads its trie and match
/// lists, so the library's own DFA (4.4 MB for the default pack, and twice
/// the time to build) would give the same table and only add to the run's
/// peak memory while it was laid out.
fn fast_scanner<P: AsRef<[u8]>>(patterns: &[P]) -> aho_corasick::nfa::contiguous::NFA {
    aho_corasick::nfa::contiguous::NFA::builder()
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        .build(patterns)
        .expect("prefilter literals always build")
}

/// The prefilter's literals as [`each_match_in_pieces`] looks for them.
///
/// A literal that every rule wants after a non-word byte, and that the
/// text so far showed inside words far more often than after one, is
/// looked for after each non-word byte the walk can read (and before the
/// text, where the walk reads a space): "he" inside "the", "when" and
/// "other", "men" inside "government", "resident" inside "president" no
/// longer reach a match state. Those were half of all occurrences on news
/// text, each costing the walk a mispredicted branch and a callback that
/// dropped it. (Every literal so bounded would make the automaton nine times
/// larger, 36 MB for the default pack: its walk waits on memory as it is.
/// The 22 literals a first megabyte of news picked added 4%, to 4.2 MB;
/// the first 32 KB, which now decide, pick 5.)
///
/// The walk reads a word byte as its ASCII lowercase, and the non-word
/// bytes that no literal holds as one byte, every non-ASCII byte as
/// another: so there are few non-word bytes to look for a literal after
/// (11 with the default pack). A literal holding a non-ASCII byte ("’s",
/// " — ") is then also found where other non-ASCII bytes stand: its
/// occurrences are checked against the text.
#[derive(Debug)]
struct Walk {
    table: Table,
    /// Walk pattern `p` -> the literals it stands for, the longest first
    /// (the order in which an overlapping search reports literals that end
    /// together): `literals[starts[p]..starts[p + 1]]`, one array where
    /// there was a list per pattern.
    literals: Vec<WalkLiteral>,
    starts: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct WalkLiteral {
    id: u32,
    len: u32,
    /// It holds a byte the walk reads as another: an occurrence of its
    /// pattern is one of it only when the text says so.
    checked: bool,
}

impl Walk {
    /// The walk over `literals`, those marked in `after_non_word` looked
    /// for only after a non-word byte.
    fn new(literals: &[String], after_non_word: &[bool]) -> Walk {
        let reads = walk_reads(literals);
        let non_word: std::collections::BTreeSet<u8> = reads
            .iter()
            .copied()
            .filter(|&b| !is_word_byte(b))
            .collect();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut literals_of: Vec<Vec<WalkLiteral>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (id, text) in literals.iter().enumerate() {
            let read: Vec<u8> = text.bytes().map(|b| reads[usize::from(b)]).collect();
            let literal = WalkLiteral {
                id: u32::try_from(id).expect("fewer than 4 billion literals"),
                len: u32::try_from(text.len()).expect("literals are short"),
                checked: read != text.as_bytes().to_ascii_lowercase(),
            };
            let forms: Vec<Vec<u8>> = if after_non_word[id] {
                non_word
                    .iter()
                    .map(|&b| [&[b][..], &read].concat())
                    .collect()
            } else {
                vec![read]
            };
            for pattern in forms {
                let at = *index.entry(pattern.clone()).or_insert_with(|| {
                    patterns.push(pattern);
                    literals_of.push(Vec::new());
                    literals_of.len() - 1
                });
                literals_of[at].push(literal);
            }
        }
        let mut starts = vec![0];
        let mut flat = Vec::with_capacity(literals.len());
        for mut list in literals_of {
            list.sort_by_key(|l| Reverse(l.len));
            flat.extend(list);
            starts.push(u32::try_from(flat.len()).expect("fewer than 4 billion literals"));
        }
        Walk {
            table: Table::new(&fast_scanner(&patterns), &reads),
            literals: flat,
            starts,
        }
    }

    /// Calls `found(literal, start, end)` for every occurrence in `text`
    /// (read as ASCII lowercase) of a literal of `literals` (as [`Walk::new`]
    /// was given them), but one marked to follow a non-word byte without
    /// one before it, by end, the longer first where two end together.
    fn each_occurrence(
        &self,
        literals: &[String],
        text: &[u8],
        mut found: impl FnMut(usize, usize, usize),
    ) {
        each_match_in_pieces(&self.table, text, |pattern, end| {
            let of_pattern = self.starts[pattern] as usize..self.starts[pattern + 1] as usize;
            for literal in &self.literals[of_pattern] {
                let id = literal.id as usize;
                // A pattern that starts with a space may have matched the
                // one the walk reads before the text.
                let Some(start) = end.checked_sub(literal.len as usize) else {
                    continue;
                };
                let holds = !literal.checked
                    || text[start..end].eq_ignore_ascii_case(literals[id].as_bytes());
                if holds {
                    found(id, start, end);
                }
            }
        });
    }
}

/// Each byte as the walk over `literals` reads it (see [`Walk`]): a word
/// byte as its ASCII lowercase, a non-ASCII byte as 0x80, an ASCII byte
/// that some literal holds as itself, any other as one byte no literal
/// holds. One load a byte, where lowercasing alone takes four
/// instructions.
fn walk_reads(literals: &[String]) -> [u8; 256] {
    let mut held = [false; 256];
    for b in literals.iter().flat_map(|l| l.bytes()) {
        held[usize::from(b)] = true;
    }
    let other = (0u8..0x80)
        .find(|&b| !held[usize::from(b)] && !is_word_byte(b))
        // Literals holding every ASCII non-word byte leave none to read
        // otherwise: then no byte is.
        .unwrap_or(0x80);
    std::array::from_fn(|b| {
        let byte = b as u8;
        if byte >= 0x80 {
            0x80
        } else if is_word_byte(byte) || held[b] {
            byte.to_ascii_lowercase()
        } else {
            other
        }
    })
}

/// Every byte as ASCII lowercase: how the tests walk.
#[cfg(test)]
fn lowercase() -> [u8; 256] {
    std::array::from_fn(|b| (b as u8).to_ascii_lowercase())
}

/// How many pieces of a text [`each_match_in_pieces`] walks in step.
const PIECES: usize = 4;
// The walk's loop names each piece.
const _: () = assert!(PIECES == 4);

/// Texts shorter than this are scanned in one piece.
const PIECES_FROM: usize = 1024;

/// An Aho-Corasick automaton's transitions laid out as a DFA for
/// [`each_match_in_pieces`]: one table read per byte, indexed by the state
/// and the byte's column.
///
/// The library's own DFA reads a byte through its byte classes, and its
/// states do not fit in registers in a loop that walks four pieces at once:
/// the walk spilled them to the stack and reloaded the table's address at
/// every step. Here a byte's column folds the walk's reading of it (see
/// [`walk_reads`]) and the byte class into one lookup, states are offsets
/// into one flat array, and match states come first, so that a state is a
/// match state when it is below one bound. A row holds one slot besides
/// the columns: where the state's patterns start in the list of them.
/// (The walk alone over 64 MB of news, the cache thrashed between groups
/// of articles as a batch's rule searches do: about 160 ms a pass with the
/// library's DFA, 128 ms with this table.)
#[derive(Debug)]
struct Table {
    /// Byte -> its column.
    columns: [u8; 256],
    /// State `s` (a multiple of the stride, one more than the columns) and
    /// column `c` -> the next state: `next[s + c]`. Its patterns are
    /// `patterns[next[s + columns]..next[s + stride + columns]]` (to the
    /// end, for the last state), in the automaton's order: the slot of every
    /// state after the match states holds where their patterns end.
    next: Vec<u32>,
    columns_len: usize,
    /// States below this are match states.
    matching: u32,
    patterns: Vec<u32>,
    /// The start state.
    start: u32,
    longest_pattern: usize,
}

impl Table {
    /// The transitions of `automaton` (unanchored) reachable from its
    /// start state, for text read as `reads` says: its trie, from its
    /// anchored transitions, completed with failure links. Every state's
    /// matches must be those of its failure links too (as the library's
    /// overlapping search needs them).
    fn new(automaton: &impl Automaton, reads: &[u8; 256]) -> Table {
        use aho_corasick::Anchored;
        let mut read_values: Vec<u8> = reads.to_vec();
        read_values.sort_unstable();
        read_values.dedup();
        let column_of = |read: u8| {
            let column = read_values
                .binary_search(&read)
                .expect("every read value has a column");
            u8::try_from(column).expect("at most 256 columns")
        };
        let columns: [u8; 256] = std::array::from_fn(|b| column_of(reads[b]));
        let start = automaton
            .start_state(Anchored::No)
            .expect("an unanchored automaton");
        let index = |k: usize| u32::try_from(k).expect("fewer than 4 billion states");
        // Every state of the trie, breadth first: the states near the
        // start, which most bytes lead to, lie close together. Read
        // anchored, a state's transitions are its trie edges alone (the
        // start's missing ones lead back to it), each to a state reached no
        // other way; the others are its failure state's, filled in below.
        // `edges`: (parent, column, child) by position in `states`, in that
        // order.
        let mut states = vec![start];
        let mut edges: Vec<(u32, u8, u32)> = Vec::new();
        let mut parent = 0;
        while let Some(&state) = states.get(parent) {
            for (column, &read) in read_values.iter().enumerate() {
                let child = automaton.next_state(Anchored::Yes, state, read);
                if !automaton.is_dead(child) && child != start {
                    let column = u8::try_from(column).expect("at most 256 columns");
                    edges.push((index(parent), column, index(states.len())));
                    states.push(child);
                }
            }
            parent += 1;
        }
        // Match states first, each group in breadth-first order.
        let mut order: Vec<usize> = (0..states.len()).collect();
        order.sort_by_key(|&k| !automaton.is_match(states[k]));
        let mut renumbered = vec![0u32; states.len()];
        for (new, &old) in order.iter().enumerate() {
            renumbered[old] = index(new);
        }
        let columns_len = read_values.len();
        let stride = columns_len + 1;
        // The table's name for the state numbered `n`: its row's offset.
        let row_of = |n: u32| u32::try_from(n as usize * stride).expect("a table under 16 GB");
        // Where the row of the `k`th state breadth first starts.
        let row_start = |k: usize| row_of(renumbered[k]) as usize;
        let mut next = vec![0u32; states.len() * stride];
        // The textbook construction of an Aho-Corasick DFA: a state's row
        // is its failure state's, but for its own edges. Breadth first, the
        // failure state (shallower) is complete when a state copies it.
        // (Asking the automaton for every transition with failure links
        // followed, as before, took 15-25 ms a run; this takes about 4.)
        let mut failure = vec![0u32; states.len()];
        let mut edges = edges.into_iter().peekable();
        for k in 0..states.len() {
            let row = row_start(k);
            if k == 0 {
                next[row..row + columns_len].fill(row_of(renumbered[0]));
            } else {
                let from = row_start(failure[k] as usize);
                next.copy_within(from..from + columns_len, row);
            }
            while let Some((_, column, child)) = edges.next_if(|&(p, _, _)| p as usize == k) {
                let column = usize::from(column);
                // A child of the start fails to the start; any other child
                // to where its parent's failure state goes on that byte.
                failure[child as usize] = if k == 0 {
                    0
                } else {
                    let to = next[row_start(failure[k] as usize) + column] as usize / stride;
                    index(order[to])
                };
                next[row + column] = row_of(renumbered[child as usize]);
            }
        }
        let mut patterns = Vec::new();
        let match_states = order.partition_point(|&k| automaton.is_match(states[k]));
        for &old in &order {
            let state = states[old];
            next[row_start(old) + columns_len] =
                u32::try_from(patterns.len()).expect("fewer than 4 billion patterns");
            if automaton.is_match(state) {
                patterns.extend(
                    (0..automaton.match_len(state))
                        .map(|k| automaton.match_pattern(state, k).as_u32()),
                );
            }
        }
        Table {
            columns,
            next,
            columns_len,
            matching: row_of(u32::try_from(match_states).expect("fewer than 4 billion states")),
            patterns,
            start: row_of(renumbered[0]),
            longest_pattern: automaton.max_pattern_len(),
        }
    }

    /// The state after reading `byte` in state `state`.
    #[inline(always)]
    fn step(&self, state: u32, byte: u8) -> u32 {
        self.next[state as usize + usize::from(self.columns[usize::from(byte)])]
    }

    fn is_match(&self, state: u32) -> bool {
        state < self.matching
    }

    /// The patterns match state `state` reports.
    fn patterns_of(&self, state: u32) -> &[u32] {
        let slot = state as usize + self.columns_len;
        let end = self
            .next
            .get(slot + self.columns_len + 1)
            .map_or(self.patterns.len(), |&end| end as usize);
        &self.patterns[self.next[slot] as usize..end]
    }
}

/// Calls `found(pattern, end)` for every occurrence of `table`'s patterns in
/// `text`, after a space, exactly as the library's overlapping search of
/// that text reports them (by end, then in the automaton's order; the
/// space's own matches aside), but walking [`PIECES`] pieces of `text` in
/// step. Mapping each byte as it is read costs nothing the walk waits for,
/// where a mapped copy of the text costs a pass over it and its memory.
/// One walk is a chain of dependent table lookups, each waiting for the
/// last; independent chains keep the core busy while any one waits. Two
/// chains scan about a quarter faster than one (64 MB of articles: 140 ->
/// 178 MB/s), four half as fast again as two (on their own: 360 -> 550
/// MB/s), once the loop checks for matches once for all four.
/// Each piece but the first starts one literal length early, so that it
/// sees whole the literals that end in it, and reports only those.
fn each_match_in_pieces(table: &Table, text: &[u8], mut found: impl FnMut(usize, usize)) {
    // A short text is one piece: the others are empty.
    let pieces = if text.len() < PIECES_FROM { 1 } else { PIECES };
    let overlap = table.longest_pattern.saturating_sub(1);
    // Piece `k` reports the occurrences ending in `owned[k]..owned[k + 1]`,
    // read from `from[k]`.
    let mut owned = [text.len(); PIECES + 1];
    let mut from = [text.len(); PIECES];
    for k in 0..pieces {
        owned[k] = text.len() / pieces * k;
        from[k] = owned[k].saturating_sub(overlap);
    }
    // The first piece reports at once, the others when it is done.
    let mut later: [Vec<(usize, usize)>; PIECES] = Default::default();
    let mut report = |k: usize, state: u32, at: usize| {
        if at > owned[k] || k == 0 {
            for &pattern in table.patterns_of(state) {
                if k == 0 {
                    found(pattern as usize, at);
                } else {
                    later[k].push((pattern as usize, at));
                }
            }
        }
    };
    let together = (0..PIECES)
        .map(|k| owned[k + 1] - from[k])
        .min()
        .unwrap_or(0);
    let piece = |k: usize| &text[from[k]..from[k] + together];
    // The first piece starts after a space, as if a non-word byte stood
    // before the text (a match ending there is no occurrence in the text).
    let after_space = table.step(table.start, b' ');
    let mut state = [after_space, table.start, table.start, table.start];
    let pieces = [piece(0), piece(1), piece(2), piece(3)];
    let mut read = 0;
    while read < together {
        read = step_until_match(table, pieces, &mut state, read);
        for (k, &s) in state.iter().enumerate() {
            if table.is_match(s) {
                report(k, s, from[k] + read);
            }
        }
    }
    for (k, &last) in state.iter().enumerate() {
        let mut s = last;
        let rest = from[k] + together..owned[k + 1];
        for (at, &byte) in rest.clone().zip(&text[rest]) {
            s = table.step(s, byte);
            if table.is_match(s) {
                report(k, s, at + 1);
            }
        }
    }
    for (id, end) in later.into_iter().flatten() {
        found(id, end);
    }
}

/// Steps `state` through `pieces` (all as long as the first) in step,
/// from byte `at` on, until one of them reaches a match state; returns how
/// many bytes of each have been read then (all of them, when none did).
/// A function of its own so that the states, the pieces and the table
/// stay in registers: inlined into the matcher, the loop kept the states
/// on the stack and reloaded the pieces' addresses from it at every step.
#[inline(never)]
fn step_until_match(
    table: &Table,
    pieces: [&[u8]; PIECES],
    state: &mut [u32; PIECES],
    mut at: usize,
) -> usize {
    let len = pieces[0].len();
    let [p0, p1, p2, p3] = pieces.map(|p| &p[..len]);
    let [mut s0, mut s1, mut s2, mut s3] = *state;
    while at < len {
        s0 = table.step(s0, p0[at]);
        s1 = table.step(s1, p1[at]);
        s2 = table.step(s2, p2[at]);
        s3 = table.step(s3, p3[at]);
        at += 1;
        // Match states come first: the least state is a match if any is.
        if table.is_match(s0.min(s1).min(s2.min(s3))) {
            break;
        }
    }
    *state = [s0, s1, s2, s3];
    at
}

/// The compiled prefilter of a pack.
#[derive(Debug)]
pub struct Prefilter {
    /// Every rule's literals, each once (see [`Prefilter::literals`]),
    /// which scan the first few kilobytes: sorted, searched at each
    /// position. Built by a sort, where an automaton over them takes
    /// milliseconds (a fifth of loading the pack) ...
    sorted: SortedForms,
    /// ... then the walk (see [`Walk`]), built once
    /// [`SORTED_UNTIL_BYTES`] have been scanned, scans the rest ...
    walk: BuiltOnce<Walk>,
    /// ... but while one thread builds it, the others scan with an
    /// automaton that is quick to build.
    first_scanner: OnceLock<AhoCorasick>,
    scanned: std::sync::atomic::AtomicU64,
    /// Scanner pattern `p` -> the rules that require that text, with the
    /// bounds each of them asks for: `uses[of_literal[p].uses()]` (one
    /// list: every occurrence reads it) ...
    uses: Vec<Use>,
    /// ... and what every use of it asks for: one record read at each
    /// occurrence, where there were three arrays.
    of_literal: Vec<LiteralUses>,
    /// Scanner pattern -> how often, before the walk is built, it occurred
    /// with a word byte before it where every use asks for a non-word
    /// byte, and how often it occurred at all (see [`Walk`]).
    inside_words: Vec<(AtomicU32, AtomicU32)>,
    /// Rules with no literal requirement: they run on every sentence.
    always: Vec<usize>,
    /// Rules searched sentence by sentence (no bound on their match
    /// length).
    per_sentence: Vec<bool>,
    rule_count: usize,
}

#[derive(Debug, Clone, Copy)]
struct Use {
    rule: u32,
    bounded_before: bool,
    bounded_after: bool,
    /// The rule wants only the first hit in a sentence: it is searched
    /// sentence by sentence and does not rule hits out one by one (see
    /// [`crate::rules::lead`]), which needs them all.
    first_hit_only: bool,
}

/// The uses of one scanner pattern.
#[derive(Debug, Clone, Copy)]
struct LiteralUses {
    /// Its uses are `uses[start..end]`.
    start: u32,
    end: u32,
    /// Whether every use asks for a non-word byte before it, and after
    /// it: an occurrence without is dropped at once ("he" inside "the"
    /// and "when" was a third of all occurrences; the walk now leaves most
    /// such out, see [`Walk`]).
    bounded_before: bool,
    bounded_after: bool,
}

impl LiteralUses {
    fn uses(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Where a rule may match: an occurrence of one of its literals (or, for a
/// rule without literals, a whole sentence), in view bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// First byte of the occurrence.
    pub start: u32,
    /// One past its last byte.
    pub end: u32,
    /// The sentence holding it.
    pub sentence: u32,
}

impl Prefilter {
    /// Builds the prefilter from each rule's literal set (`None` = always
    /// run), the longest match it can give (`None` = no bound), and whether
    /// it wants every hit in a sentence it searches whole.
    pub fn new(
        rule_literals: &[Option<Vec<Literal>>],
        max_lens: &[Option<usize>],
        every_hit: &[bool],
    ) -> Prefilter {
        let mut literals: Vec<String> = Vec::new();
        let mut uses: Vec<Vec<Use>> = Vec::new();
        let mut always = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (rule, set) in rule_literals.iter().enumerate() {
            let Some(set) = set else {
                always.push(rule);
                continue;
            };
            for literal in set {
                let id = *index.entry(literal.text.as_str()).or_insert_with(|| {
                    literals.push(literal.text.clone());
                    uses.push(Vec::new());
                    literals.len() - 1
                });
                uses[id].push(Use {
                    rule: u32::try_from(rule).expect("fewer than 4 billion rules"),
                    bounded_before: literal.bounded_before,
                    bounded_after: literal.bounded_after,
                    first_hit_only: false,
                });
            }
        }
        let per_sentence: Vec<bool> = (0..rule_literals.len())
            .map(|rule| {
                rule_literals[rule].is_none() || max_lens.get(rule).is_none_or(Option::is_none)
            })
            .collect();
        let first_hit_only: Vec<bool> = per_sentence
            .iter()
            .enumerate()
            .map(|(rule, &whole)| whole && !every_hit.get(rule).copied().unwrap_or(false))
            .collect();
        let mut of_literal = Vec::with_capacity(uses.len());
        let mut flat = Vec::new();
        for list in &uses {
            let start = flat.len();
            flat.extend(list.iter().map(|&u| Use {
                first_hit_only: first_hit_only[u.rule as usize],
                ..u
            }));
            of_literal.push(LiteralUses {
                start: u32::try_from(start).expect("fewer than 4 billion uses"),
                end: u32::try_from(flat.len()).expect("fewer than 4 billion uses"),
                bounded_before: list.iter().all(|u| u.bounded_before),
                bounded_after: list.iter().all(|u| u.bounded_after),
            });
        }
        Prefilter {
            inside_words: literals.iter().map(|_| Default::default()).collect(),
            sorted: SortedForms::new(literals),
            first_scanner: OnceLock::new(),
            walk: BuiltOnce::default(),
            scanned: std::sync::atomic::AtomicU64::new(0),
            uses: flat,
            of_literal,
            always,
            per_sentence,
            rule_count: rule_literals.len(),
        }
    }

    /// Every rule's literals, each once: a scan names them by position.
    fn literals(&self) -> &[String] {
        self.sorted.strings()
    }

    /// How to scan `len` more bytes: see [`Scan`].
    fn scan_for(&self, len: usize) -> Scan {
        use std::sync::atomic::Ordering;
        let before = self.scanned.fetch_add(len as u64, Ordering::Relaxed);
        let after = before + len as u64;
        if after <= SORTED_UNTIL_BYTES {
            Scan::Sorted
        } else {
            Scan::Dfa
        }
    }

    /// Calls `found(literal, start, end)` for every occurrence of every
    /// literal in `text` read as ASCII lowercase (the literals are
    /// lowercase: this finds what an ASCII-case-insensitive search would,
    /// with half the automaton), in order of their ends, the longer first
    /// where two end together (the order of an overlapping Aho-Corasick
    /// scan). The DFA's walk leaves out those without the non-word byte
    /// before them that every use of their literal asks for (see [`Walk`]):
    /// the others are dropped by the caller.
    fn each_occurrence(&self, text: &[u8], scan: Scan, mut found: impl FnMut(usize, usize, usize)) {
        match scan {
            Scan::Dfa => {
                let build = || Walk::new(self.literals(), &self.mostly_inside_words());
                match self.walk.get_unless_building(build) {
                    Some(walk) => walk.each_occurrence(self.literals(), text, found),
                    // Another thread is building it (a few milliseconds):
                    // the quick automaton finds the same meanwhile.
                    None => self.each_occurrence(text, Scan::Nfa, found),
                }
            }
            // The other two read a lowercased copy: they serve the first
            // 32 KB, and the documents scanned while the walk is built.
            Scan::Sorted => {
                let lowered = text.to_ascii_lowercase();
                let mut all = Vec::new();
                for start in 0..lowered.len() {
                    self.sorted.each_at(&lowered[start..], |id| {
                        let len = self.literal_len(id);
                        all.push((start + len, Reverse(len), id));
                    });
                }
                all.sort_unstable();
                for (end, Reverse(len), id) in all {
                    found(id, end - len, end);
                }
            }
            Scan::Nfa => {
                let automaton = self
                    .first_scanner
                    .get_or_init(|| scanner(self.literals(), AhoCorasickKind::ContiguousNFA));
                for m in automaton.find_overlapping_iter(&text.to_ascii_lowercase()) {
                    found(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
    }

    /// Scanner pattern -> whether every use asks for a non-word byte
    /// before it and the text so far had it inside words at least
    /// [`INSIDE_WORDS`] of the time (and at least [`INSIDE_WORDS_FROM`]
    /// times): the literals the walk looks for only after a non-word byte.
    fn mostly_inside_words(&self) -> Vec<bool> {
        use std::sync::atomic::Ordering::Relaxed;
        self.inside_words
            .iter()
            .zip(&self.of_literal)
            .map(|((inside, all), &LiteralUses { bounded_before, .. })| {
                let (inside, all) = (inside.load(Relaxed), all.load(Relaxed));
                bounded_before
                    && inside >= INSIDE_WORDS_FROM
                    && f64::from(inside) >= INSIDE_WORDS * f64::from(all)
            })
            .collect()
    }

    fn literal_len(&self, id: usize) -> usize {
        self.literals()[id].len()
    }

    /// True when `rule`'s hits are occurrences of its literals, not whole
    /// sentences.
    pub fn hits_are_occurrences(&self, rule: usize) -> bool {
        !self.always.contains(&rule)
    }

    /// True when `rule` is searched a whole sentence at a time: it has no
    /// literals, or no bound on its match length.
    pub fn per_sentence(&self, rule: usize) -> bool {
        self.per_sentence[rule]
    }

    /// For each rule, where it may match, sorted: every occurrence of its
    /// literals that lies inside one sentence and has the bounds the rule
    /// asks for (for a [`Prefilter::per_sentence`] rule, the first in each
    /// sentence); a rule without literals gets each sentence whole.
    pub fn candidates(&self, view: &str, sentences: &[Range<usize>]) -> Candidates {
        self.candidates_by(view, sentences, self.scan_for(view.len()))
    }

    /// [`Prefilter::candidates`], scanning as `scan` says.
    fn candidates_by(&self, view: &str, sentences: &[Range<usize>], scan: Scan) -> Candidates {
        // About one hit every 60 bytes of news: room for most documents'.
        let mut found: Vec<(u32, Hit)> =
            Vec::with_capacity(view.len() / 32 + sentences.len() * self.always.len());
        for &rule in &self.always {
            found.extend((0..sentences.len()).map(|i| {
                let hit = Hit {
                    start: sentences[i].start as u32,
                    end: sentences[i].end as u32,
                    sentence: i as u32,
                };
                (rule as u32, hit)
            }));
        }
        // The sentence of each rule's latest hit.
        let mut latest = vec![u32::MAX; self.rule_count];
        let bytes = view.as_bytes();
        let mut sentence = 0;
        self.each_occurrence(bytes, scan, |id, start, end| {
            let free_before = start == 0 || !is_word_byte(bytes[start - 1]);
            let free_after = end == bytes.len() || !is_word_byte(bytes[end]);
            let of_literal = self.of_literal[id];
            let (before_needed, after_needed) =
                (of_literal.bounded_before, of_literal.bounded_after);
            if before_needed && scan != Scan::Dfa {
                use std::sync::atomic::Ordering::Relaxed;
                let (inside, all) = &self.inside_words[id];
                inside.fetch_add(u32::from(!free_before), Relaxed);
                all.fetch_add(1, Relaxed);
            }
            if (before_needed && !free_before) || (after_needed && !free_after) {
                return;
            }
            // Ends only grow: the sentence moves on from where it was.
            while sentence < sentences.len() && sentences[sentence].end < end {
                sentence += 1;
            }
            let Some(range) = sentences.get(sentence) else {
                return;
            };
            if start < range.start {
                return;
            }
            let hit = Hit {
                start: start as u32,
                end: end as u32,
                sentence: sentence as u32,
            };
            for u in &self.uses[of_literal.uses()] {
                if (free_before || !u.bounded_before) && (free_after || !u.bounded_after) {
                    let seen = latest[u.rule as usize] == hit.sentence;
                    if !(seen && u.first_hit_only) {
                        found.push((u.rule, hit));
                        latest[u.rule as usize] = hit.sentence;
                    }
                }
            }
        });
        Candidates::grouped(found, self.rule_count)
    }
}

/// Each rule's hits in a document, sorted (see [`Prefilter::candidates`]):
/// `candidates[rule]`. One list for all rules, where a list per rule took
/// a few allocations each, for every rule with hits in every document (a
/// third of a million in 64 MB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    hits: Vec<Hit>,
    /// Rule `r`'s hits are `hits[starts[r]..starts[r + 1]]`.
    starts: Vec<usize>,
}

impl Candidates {
    /// `found`, (rule, hit) pairs in the order they were found, grouped by
    /// rule in that order, then each rule's sorted (the scan reports
    /// occurrences in order of their ends, so most already are).
    fn grouped(found: Vec<(u32, Hit)>, rules: usize) -> Candidates {
        let mut starts = vec![0; rules + 1];
        for &(rule, _) in &found {
            starts[rule as usize + 1] += 1;
        }
        for rule in 0..rules {
            starts[rule + 1] += starts[rule];
        }
        let mut next = starts.clone();
        let mut hits = vec![Hit::default(); found.len()];
        for (rule, hit) in found {
            hits[next[rule as usize]] = hit;
            next[rule as usize] += 1;
        }
        for rule in 0..rules {
            let of_rule = &mut hits[starts[rule]..starts[rule + 1]];
            if !of_rule.is_sorted() {
                of_rule.sort_unstable();
            }
        }
        Candidates { hits, starts }
    }
}

impl std::ops::Index<usize> for Candidates {
    type Output = [Hit];

    fn index(&self, rule: usize) -> &[Hit] {
        &self.hits[self.starts[rule]..self.starts[rule + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    /// The literal texts, with `<` / `>` marking a bounded side.
    fn lits(pattern: &str) -> Option<Vec<String>> {
        required_literals(pattern).map(|set| {
            set.iter()
                .map(|l| {
                    format!(
                        "{}{}{}",
                        if l.bounded_before { "<" } else { "" },
                        l.text,
                        if l.bounded_after { ">" } else { "" }
                    )
                })
                .collect()
        })
    }

    fn strings(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn picks_the_most_selective_literal_of_a_concatenation() {
        assert_eq!(
            lits(r"(?i)\b(?P<value>\d{1,3}|two)(?:-|\s)years?(?:-|\s)old\b"),
            strings(&[
                " year old>",
                " year-old>",
                " years old>",
                " years-old>",
                "-year old>",
                "-year-old>",
                "-years old>",
                "-years-old>"
            ]),
            "a whitespace class stands for the one space a sentence view has"
        );
        assert_eq!(
            lits(r"(?i)\b(?:arrested|charged)\b[^.]{1,40}"),
            strings(&["<arrested>", "<charged>"])
        );
    }

    #[test]
    fn alternations_need_every_branch_to_have_literals() {
        assert_eq!(lits(r"foo\d+|bar"), strings(&["bar", "foo"]));
        assert_eq!(lits(r"foo|\d+"), None);
        assert_eq!(
            lits(r"(?i)\b(?:he|she)\b"),
            strings(&["<he>", "<she>"]),
            "a bounded 'he' is not inside 'she'"
        );
        assert_eq!(
            lits(r"(?i)(?:he|she)\b"),
            strings(&["he>", "she>"]),
            "'she' is kept: every match then starts at a literal"
        );
    }

    #[test]
    fn literals_inside_others_are_dropped_only_at_their_start_when_matches_start_at_them() {
        assert_eq!(
            lits(r"(?:dog\s){0,2}cat"),
            strings(&["cat", "dog cat", "dog dog cat"])
        );
        assert_eq!(lits(r"cat(?:dog)?s?"), strings(&["cat"]), "the same start");
        // Where a match may begin before its literal anyway, longer
        // literals still give way to the shorter one inside them.
        assert_eq!(
            lits(r"(?:[a-z]{3}\s){0,2}(?:cat|dog\scat)"),
            strings(&["cat"])
        );
    }

    #[test]
    fn neighbours_that_always_end_in_a_non_word_byte_bound_a_literal() {
        assert_eq!(
            lits(r"[.,;:!?]+(?:old\s)?(?:man|woman)\b"),
            strings(&["<man>", "<woman>"])
        );
        assert_eq!(lits(r"\d+(?:\s|x)man"), strings(&[" man", "xman"]));
        assert_eq!(lits(r"^Age:\s\d+"), strings(&["<age: "]));
    }

    #[test]
    fn an_exact_alternative_is_bounded_by_what_stands_around_its_alternation() {
        // `men` is all the alternation matched: `\s` before it, `\b` after.
        // `cat`/`dog` begin a longer part: only `\s` reaches them.
        assert_eq!(
            lits(r"\d\s(?:(?:cat|dog)[a-z]*|men|women)\b"),
            strings(&["<cat", "<dog", "<men>", "<women>"])
        );
        // An alternative inside a repetition is all of one copy: the first
        // starts where the repetition starts, more copies may follow.
        assert_eq!(
            lits(r"\s(?:men|women|[a-z]+xyz){1,3}\b"),
            strings(&["<men", "<women", "xyz"])
        );
    }

    #[test]
    fn a_huge_alternation_requires_nothing() {
        let words: Vec<String> = (0..=MAX_REQUIRED).map(|i| format!("w{i:05}")).collect();
        assert_eq!(lits(&format!(r"(?:{})-\d", words.join("|"))), None);
        let fewer = &words[..MAX_REQUIRED];
        assert_eq!(
            lits(&format!(r"(?:{})-\d", fewer.join("|"))).map(|set| set.len()),
            Some(MAX_REQUIRED)
        );
    }

    #[test]
    fn optional_parts_are_not_required() {
        assert_eq!(lits(r"(?:abc)?\d+"), None);
        assert_eq!(lits(r"x(?:abc)?yz"), strings(&["xabcyz", "xyz"]));
    }

    fn literal(text: &str, bounded: bool) -> Literal {
        Literal {
            text: text.into(),
            bounded_before: bounded,
            bounded_after: bounded,
            reach_back: None,
        }
    }

    #[test]
    fn hits_are_occurrences_inside_one_sentence_with_the_bounds_asked_for() {
        let pre = Prefilter::new(
            &[
                Some(vec![literal("arrest", false)]),
                None,
                Some(vec![literal("he", true)]),
                Some(vec![literal("he", true)]),
                Some(vec![literal("he", true)]),
            ],
            &[Some(10), None, Some(10), None, None],
            &[false, false, false, false, true],
        );
        for scan in [Scan::Sorted, Scan::Nfa, Scan::Dfa] {
            let view = "He was ARRESTED. Nothing here. The man said he knew.";
            let sentences = [0..16, 17..30, 31..view.len()];
            let hits = pre.candidates_by(view, &sentences, scan);
            let spans = |rule: usize| -> Vec<(u32, u32, u32)> {
                hits[rule]
                    .iter()
                    .map(|h| (h.start, h.end, h.sentence))
                    .collect()
            };
            assert_eq!(spans(0), [(7, 13, 0)]);
            assert_eq!(spans(1), [(0, 16, 0), (17, 30, 1), (31, 52, 2)]);
            assert_eq!(spans(2), [(0, 2, 0), (44, 46, 2)], "not the 'he' of 'The'");
            let view = "He said he knew. He did.";
            let hits = pre.candidates_by(view, &[0..16, 17..24], scan);
            assert_eq!(hits[3].len(), 2, "unbounded: one hit per sentence");
            assert_eq!(hits[2].len(), 3, "bounded: every hit");
            assert_eq!(hits[4].len(), 3, "unbounded, asking for every hit");
        }
    }

    #[test]
    fn literals_ending_together_come_longest_first_whatever_the_scan() {
        // "she" and "he" end together; "s" and "he" overlap without one
        // holding the other. A rule searched by sentence keeps its first
        // hit, so the order decides which hit stands for the sentence.
        let pre = Prefilter::new(
            &[Some(vec![
                literal("he", false),
                literal("she", false),
                literal("shed", false),
            ])],
            &[None],
            &[false],
        );
        for scan in [Scan::Sorted, Scan::Nfa, Scan::Dfa] {
            let mut order = Vec::new();
            pre.each_occurrence(b"she shed", scan, |id, start, end| {
                order.push((pre.literals()[id].as_str(), start, end))
            });
            assert_eq!(
                order,
                [
                    ("she", 0, 3),
                    ("he", 1, 3),
                    ("she", 4, 7),
                    ("he", 5, 7),
                    ("shed", 4, 8)
                ],
                "{scan:?}"
            );
            let whole = std::slice::from_ref(&(0..8));
            let hits = pre.candidates_by("she shed", whole, scan);
            assert_eq!(
                hits[0],
                [Hit {
                    start: 0,
                    end: 3,
                    sentence: 0
                }]
            );
        }
    }

    #[test]
    fn a_literal_is_found_once_wherever_it_ends_around_a_piece_boundary() {
        let table = Table::new(
            &fast_scanner(&["abcdefg".to_string(), "fg".to_string()]),
            &lowercase(),
        );
        let boundary = 500;
        for end in boundary - 9..boundary + 9 {
            let mut text = vec![b'x'; 4 * boundary];
            text[end - 7..end].copy_from_slice(b"ABCdefg");
            let mut found = Vec::new();
            each_match_in_pieces(&table, &text, |id, at| found.push((id, at)));
            assert_eq!(found, [(0, end), (1, end)], "ending at {end}");
        }
    }

    /// What [`Walk::each_occurrence`] reports for `literals` in `text`,
    /// the literals marked `true` looked for after a non-word byte only.
    fn walked(literals: &[(&str, bool)], text: &[u8]) -> Vec<(String, usize, usize)> {
        let texts: Vec<String> = literals.iter().map(|(l, _)| l.to_string()).collect();
        let after: Vec<bool> = literals.iter().map(|&(_, a)| a).collect();
        let mut found = Vec::new();
        Walk::new(&texts, &after).each_occurrence(&texts, text, |id, start, end| {
            found.push((texts[id].clone(), start, end))
        });
        found
    }

    #[test]
    fn a_literal_looked_for_after_a_non_word_byte_is_found_after_each_one() {
        let literals = [("he", true), ("a-b", false), ("\u{2019}s", false)];
        for byte in 0..=255u8 {
            let text = [&[byte][..], b"He"].concat();
            let expected = if is_word_byte(byte) {
                vec![]
            } else {
                vec![("he".to_string(), 1, 3)]
            };
            assert_eq!(walked(&literals, &text), expected, "after byte {byte:#x}");
        }
        assert_eq!(
            walked(&literals, b"he"),
            [("he".to_string(), 0, 2)],
            "at the start"
        );
        assert_eq!(walked(&literals, b"the when other"), []);
        assert_eq!(walked(&[("he", false)], b"the"), [("he".to_string(), 1, 3)]);
    }

    #[test]
    fn a_literal_the_walk_reads_otherwise_is_found_only_where_it_stands() {
        let literals = [("\u{2019}s", false), ("a-b", false), ("x", true)];
        let text = "Garcia\u{201D}s and Garcia\u{2019}s, a-b a*b a b";
        let found = walked(&literals, text.as_bytes());
        let spans: Vec<&str> = found.iter().map(|(_, s, e)| &text[*s..*e]).collect();
        assert_eq!(spans, ["\u{2019}s", "a-b"]);
    }

    proptest::proptest! {
        /// The walk in pieces reports what the library's overlapping search
        /// does, in its order, whatever the text's length (either side of
        /// [`PIECES_FROM`]) and wherever occurrences cross from one piece
        /// to the next.
        #[test]
        fn chains_in_step_report_what_one_overlapping_search_does(
            literals in proptest::collection::vec("[ab ]{1,7}", 1..12),
            text in "[abc ]{0,2500}",
        ) {
            let literals: Vec<String> = literals;
            let library = scanner(&literals, AhoCorasickKind::DFA);
            // The walk reads a space before the text.
            let expected: Vec<(usize, usize)> = library
                .find_overlapping_iter(&format!(" {text}"))
                .filter(|m| m.end() > 1)
                .map(|m| (m.pattern().as_usize(), m.end() - 1))
                .collect();
            let mut got = Vec::new();
            let table = Table::new(&fast_scanner(&literals), &lowercase());
            each_match_in_pieces(&table, text.as_bytes(), |id, end| got.push((id, end)));
            proptest::prop_assert_eq!(got, expected);
        }

        /// The walk finds what an overlapping search of the lowercased text
        /// does, less the occurrences after a word byte of the literals it
        /// looks for after a non-word byte only, whatever the text's length.
        #[test]
        fn the_walk_finds_every_occurrence_but_those_inside_words_it_leaves_out(
            literals in proptest::collection::vec(("[ab\u{2019} -]{1,5}", proptest::bool::ANY), 1..10),
            text in "[abAB\u{2019}\u{201D} .-]{0,1500}",
        ) {
            // A prefilter's literals are all different.
            let mut literals = literals;
            literals.sort();
            literals.dedup_by(|a, b| a.0 == b.0);
            let texts: Vec<String> = literals.iter().map(|(l, _)| l.clone()).collect();
            let after: Vec<bool> = literals.iter().map(|&(_, a)| a).collect();
            let lowered = text.to_ascii_lowercase();
            let bytes = lowered.as_bytes();
            let expected: Vec<(usize, usize, usize)> = scanner(&texts, AhoCorasickKind::DFA)
                .find_overlapping_iter(&lowered)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .filter(|&(id, start, _)| !after[id] || start == 0 || !is_word_byte(bytes[start - 1]))
                .collect();
            let mut got = Vec::new();
            Walk::new(&texts, &after).each_occurrence(&texts, text.as_bytes(), |id, start, end| {
                got.push((id, start, end))
            });
            proptest::prop_assert_eq!(got, expected);
        }

        /// Text made of the default pack's literals, their pieces, case
        /// changes and what stands around them, in sentences: every way of
        /// scanning gives the same hits for every rule.
        #[test]
        fn every_scan_finds_the_same_hits(
            pieces in proptest::collection::vec((0usize..10_000, 0usize..4, 0usize..8), 0..24)
        ) {
            let shared = &crate::rules::Pack::embedded_shared().prefilter;
            let pre = &*AFTER_NON_WORD_ALL;
            let joiners = [" ", "", ". ", "s ", "-", "\u{2019}", "9", ", "];
            let literals: Vec<&str> = pre.literals().iter().map(String::as_str).collect();
            let view = crate::sorted::text_of_pieces(&literals, &pieces, &joiners);
            let mut sentences = Vec::new();
            let mut start = 0;
            for (at, _) in view.match_indices(". ") {
                sentences.push(start..at + 1);
                start = at + 2;
            }
            sentences.push(start..view.len());
            let sorted = pre.candidates_by(&view, &sentences, Scan::Sorted);
            proptest::prop_assert_eq!(&sorted, &pre.candidates_by(&view, &sentences, Scan::Nfa));
            proptest::prop_assert_eq!(&sorted, &pre.candidates_by(&view, &sentences, Scan::Dfa));
            proptest::prop_assert_eq!(&sorted, &shared.candidates_by(&view, &sentences, Scan::Dfa));
        }
    }

    /// The default pack's prefilter, its walk looking for every literal
    /// that every use wants after a non-word byte only after one (as if the
    /// text so far had each inside words most of the time).
    static AFTER_NON_WORD_ALL: std::sync::LazyLock<Prefilter> = std::sync::LazyLock::new(|| {
        let pre = crate::rules::prefilter_of(&crate::rules::Pack::embedded_shared().rules);
        for (counts, uses) in pre.inside_words.iter().zip(&pre.of_literal) {
            let before = uses.bounded_before;
            counts
                .0
                .store(u32::from(before) * INSIDE_WORDS_FROM, Ordering::Relaxed);
            counts.1.store(INSIDE_WORDS_FROM, Ordering::Relaxed);
        }
        assert!(pre.mostly_inside_words().iter().filter(|&&a| a).count() > 1000);
        pre
    });
}
