//! Lints over a loaded rule pack, reported like a compiler: `file:line:col: message`.
//!
//! In: a compiled [`Pack`] and the [`PackFiles`] it was loaded from (lexicon
//! entries carry no location, so phrases are located in their TSV text).
//! Out: [`Finding`]s, errors (failing examples, conflicting codes, patterns
//! that match the empty string) and warnings (unused sub-patterns, shadowed
//! phrases). Duplicate rule ids and a phrase given two codes in one lexicon
//! file never get here: the loader refuses them with a located error.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::Location;
use crate::mention::Field;
use crate::rules::lexicon::fold;
use crate::rules::{expand, Lexicon, Pack, PackFiles, Rule, Scale, MANIFEST};

/// How serious a finding is: only errors make `docket check` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The pack gives wrong or unpredictable values.
    Error,
    /// Probably unintended, harmless to extraction.
    Warning,
}

/// One located finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which check found it: `example`, `unused-subpattern`, `empty-match`,
    /// `conflicting-code` or `shadowed-phrase`.
    pub kind: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Where it is.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}: {}", self.location, self.message),
            Severity::Warning => write!(f, "{}: warning: {}", self.location, self.message),
        }
    }
}

/// Every example result and every lint, sorted by file, line and column.
pub fn check(pack: &Pack, files: &PackFiles) -> Vec<Finding> {
    let mut findings: Vec<Finding> = crate::check::run_examples(pack)
        .into_iter()
        .map(|p| Finding {
            kind: "example",
            severity: Severity::Error,
            location: p.location,
            message: p.message,
        })
        .collect();
    findings.extend(lint(pack, files));
    findings.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    findings
}

fn sort_key(f: &Finding) -> (&str, usize, usize, Severity, &str) {
    let l = &f.location;
    (&l.file, l.line, l.column, f.severity, &f.message)
}

/// The lints alone (no examples run).
pub fn lint(pack: &Pack, files: &PackFiles) -> Vec<Finding> {
    let specs = lexicon_specs(files);
    let mut out = unused_subpatterns(pack);
    out.extend(empty_matches(pack));
    out.extend(conflicting_phrases(pack, files, &specs));
    out.extend(shadowed_phrases(pack, files, &specs));
    out
}

/// Sub-patterns that no rule uses, directly or through other sub-patterns.
pub fn unused_subpatterns(pack: &Pack) -> Vec<Finding> {
    let mut used = BTreeSet::new();
    let mut todo: Vec<&str> = pack
        .rules
        .iter()
        .flat_map(|r| expand::references(&r.source))
        .collect();
    while let Some(name) = todo.pop() {
        if used.insert(name) {
            if let Some(sub) = pack.subpatterns.get(name) {
                todo.extend(expand::references(&sub.source));
            }
        }
    }
    pack.subpatterns
        .iter()
        .filter(|(name, _)| !used.contains(name.as_str()))
        .map(|(name, sub)| Finding {
            kind: "unused-subpattern",
            severity: Severity::Warning,
            location: sub.location.clone(),
            message: format!("sub-pattern {name} is not used by any rule"),
        })
        .collect()
}

/// Texts on which a pattern is tried for an empty match, besides its examples.
const EMPTY_PROBES: [&str; 5] = ["", " ", "a", "0", "A b."];

/// Rules whose pattern can match the empty string: they would find a
/// zero-width "mention" at every position of every sentence.
pub fn empty_matches(pack: &Pack) -> Vec<Finding> {
    pack.rules
        .iter()
        .filter_map(|rule| {
            let probe = empty_match_probe(rule)?;
            Some(Finding {
                kind: "empty-match",
                severity: Severity::Error,
                location: rule.location.clone(),
                message: format!(
                    "rule {}: the pattern can match the empty string (in {probe:?}); make every part of it required",
                    rule.id
                ),
            })
        })
        .collect()
}

fn empty_match_probe(rule: &Rule) -> Option<String> {
    let examples = rule
        .examples
        .iter()
        .chain(&rule.counter_examples)
        .map(|e| e.text.as_str());
    EMPTY_PROBES
        .into_iter()
        .chain(examples)
        .find(|text| {
            rule.regex
                .get(Scale::Small)
                .find_iter(text)
                .any(|m| m.is_empty())
        })
        .map(str::to_string)
}

/// What the manifest says about one lexicon: its file and case rule.
#[derive(Debug, Clone)]
struct LexiconSpec {
    file: String,
    case_sensitive: bool,
}

/// Lexicon name -> spec, read from the manifest (the compiled lexicon keeps neither).
fn lexicon_specs(files: &PackFiles) -> BTreeMap<String, LexiconSpec> {
    let manifest = files
        .files
        .get(MANIFEST)
        .and_then(|text| text.parse::<toml::Table>().ok())
        .unwrap_or_default();
    let Some(toml::Value::Table(lexicons)) = manifest.get("lexicons") else {
        return BTreeMap::new();
    };
    lexicons
        .iter()
        .filter_map(|(name, spec)| {
            let file = spec.get("file")?.as_str()?.to_string();
            let case_sensitive = spec
                .get("case_sensitive")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
            Some((
                name.clone(),
                LexiconSpec {
                    file,
                    case_sensitive,
                },
            ))
        })
        .collect()
}

/// The location of `phrase` in a lexicon's TSV file (its first cell holding it).
fn locate_phrase(files: &PackFiles, spec: Option<&LexiconSpec>, phrase: &str) -> Location {
    let file = spec.map_or("", |s| s.file.as_str());
    let text = files.files.get(file).map_or("", String::as_str);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !line.starts_with('#') {
            let mut cell_start = offset;
            for (k, cell) in line.trim_end_matches(['\n', '\r']).split('\t').enumerate() {
                if k > 0 && cell.trim() == phrase {
                    let lead = cell.len() - cell.trim_start().len();
                    return Location::at(&files.display(file), text, cell_start + lead);
                }
                cell_start += cell.len() + 1;
            }
        }
        offset += line.len();
    }
    Location::at(&files.display(file), text, 0)
}

/// The lexicons whose codes become values of each field (`normalize = "lexicon:X"`).
fn lexicons_by_field(pack: &Pack) -> BTreeMap<Field, BTreeSet<&str>> {
    let mut map: BTreeMap<Field, BTreeSet<&str>> = BTreeMap::new();
    for rule in &pack.rules {
        if let Some(name) = rule.normalizer.lexicon() {
            map.entry(rule.field).or_default().insert(name);
        }
    }
    map
}

/// A phrase that two lexicons of one field map to different codes: the value
/// then depends on which rule matched. (Within one file the loader already
/// refuses a phrase with two codes.)
fn conflicting_phrases(
    pack: &Pack,
    files: &PackFiles,
    specs: &BTreeMap<String, LexiconSpec>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (field, names) in lexicons_by_field(pack) {
        let lexicons: Vec<&Lexicon> = names.iter().filter_map(|n| pack.lexicons.get(*n)).collect();
        for (i, a) in lexicons.iter().enumerate() {
            for b in &lexicons[i + 1..] {
                for (code, phrase) in b.entries() {
                    let Some(other) = a.lookup(phrase).filter(|c| c != code) else {
                        continue;
                    };
                    if !seen.insert((b.name.clone(), phrase.clone())) {
                        continue;
                    }
                    let first = locate_phrase(files, specs.get(&a.name), phrase);
                    out.push(Finding {
                        kind: "conflicting-code",
                        severity: Severity::Error,
                        location: locate_phrase(files, specs.get(&b.name), phrase),
                        message: format!(
                            "phrase {phrase:?} is mapped to {code} here but to {other} in lexicon {} ({first}); both give {field} values, so one phrase has two codes",
                            a.name
                        ),
                    });
                }
            }
        }
    }
    out
}

/// A phrase that is a whole-word part of a longer phrase with another code
/// in the same lexicon: leftmost-longest matching gives the longer phrase's
/// code wherever both fit, which is usually meant but worth knowing.
fn shadowed_phrases(
    pack: &Pack,
    files: &PackFiles,
    specs: &BTreeMap<String, LexiconSpec>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for lexicon in pack.lexicons.values() {
        let spec = specs.get(&lexicon.name);
        let case_sensitive = spec.is_some_and(|s| s.case_sensitive);
        let folded: Vec<(&str, &str, String)> = lexicon
            .entries()
            .iter()
            .map(|(c, p)| (c.as_str(), p.as_str(), fold(p, case_sensitive)))
            .collect();
        for (code, phrase, short) in &folded {
            let hiding: Vec<String> = folded
                .iter()
                .filter(|(c, _, long)| c != code && contains_words(long, short))
                .map(|(c, p, _)| format!("{p:?} ({c})"))
                .collect();
            if hiding.is_empty() {
                continue;
            }
            out.push(Finding {
                kind: "shadowed-phrase",
                severity: Severity::Warning,
                location: locate_phrase(files, spec, phrase),
                message: format!(
                    "lexicon {}: {phrase:?} ({code}) is shadowed by {}: inside it the longer phrase's code wins",
                    lexicon.name,
                    summarize(&hiding)
                ),
            });
        }
    }
    out
}

/// Collapses the shadowed-phrase warnings of each lexicon file into one
/// (most are intended: "one" inside "twenty-one"), located at the first.
pub fn collapse_shadowed(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for f in findings {
        if f.kind != "shadowed-phrase" {
            out.push(f);
            continue;
        }
        match counts.get_mut(&f.location.file) {
            Some((_, n)) => *n += 1,
            None => {
                counts.insert(f.location.file.clone(), (out.len(), 1));
                out.push(f);
            }
        }
    }
    for (at, n) in counts.into_values().filter(|(_, n)| *n > 1) {
        let first = &mut out[at];
        // "lexicon X: "a" (c) is shadowed by ...: why" -> "lexicon X: N phrases ..., e.g. "a" (c) by ..."
        let (lexicon, rest) = first
            .message
            .split_once(": ")
            .unwrap_or(("", &first.message));
        let example = rest.split(": inside").next().unwrap_or(rest);
        first.message = format!(
            "{lexicon}: {n} phrases are shadowed by longer phrases with another code, e.g. {}; --verbose lists them",
            example.replacen(" is shadowed by ", " by ", 1)
        );
    }
    out
}

fn summarize(items: &[String]) -> String {
    const SHOWN: usize = 3;
    let head = items[..items.len().min(SHOWN)].join(", ");
    match items.len().saturating_sub(SHOWN) {
        0 => head,
        more => format!("{head} and {more} more"),
    }
}

/// `short` occurs in `long` as whole words (and `long` is longer).
fn contains_words(long: &str, short: &str) -> bool {
    if long.len() <= short.len() || short.is_empty() {
        return false;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    long.match_indices(short).any(|(at, _)| {
        !word(long[..at].chars().next_back()) && !word(long[at + short.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_word_containment() {
        assert!(contains_words("vehicle theft", "theft"));
        assert!(!contains_words("thefts", "theft"));
        assert!(!contains_words("theft", "theft"));
        assert!(contains_words("theft of a vehicle", "theft"));
    }

    #[test]
    fn summary_caps_the_list() {
        let items: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(summarize(&items), "0, 1, 2 and 2 more");
    }
}
