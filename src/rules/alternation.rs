//! A lexicon's phrases as one regex alternation, written out as pattern
//! text or built directly as the syntax tree parsing that text gives.
//!
//! In: surface forms, longest first, and whether case matters. Out: the
//! text `(?iu-x:...)` that `{{NAME}}` expands to (shown to users, analysed,
//! hashed) or its [`Hir`] (spliced into compiled rules, see `splice`):
//! parsing an alternation of a few thousand phrases costs milliseconds, and
//! building its tree a small part of that.

use std::sync::LazyLock;

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir};

/// A lexicon's phrases, ready to be written as an alternation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrases {
    /// Each phrase as the characters its regex matches, in priority order.
    units: Vec<Vec<char>>,
    case_sensitive: bool,
}

impl Phrases {
    /// `forms` in priority order (longest first, so the leftmost-first
    /// regex engine prefers them).
    pub fn new(forms: &[String], case_sensitive: bool) -> Phrases {
        Phrases {
            units: forms.iter().map(|f| phrase_units(f)).collect(),
            case_sensitive,
        }
    }

    /// The alternation as pattern text. Every flag that could change how
    /// the phrases read is set, so it means the same wherever it is used
    /// (an `(?x)` or `(?-u)` around a reference does not reach inside) and
    /// its tree is the same in every rule.
    pub fn regex(&self) -> String {
        let flags = if self.case_sensitive { "u-ix" } else { "iu-x" };
        format!("(?{flags}:{})", self.write(&Text))
    }

    /// The syntax tree the parser gives for [`Phrases::regex`].
    pub fn tree(&self) -> Hir {
        self.write(&Tree {
            case_insensitive: !self.case_sensitive,
        })
    }

    fn write<W: Writer>(&self, writer: &W) -> W::Out {
        let all: Vec<&[char]> = self.units.iter().map(Vec::as_slice).collect();
        if self.case_sensitive || self.units.iter().flatten().all(char::is_ascii) {
            factored(writer, &all, self.case_sensitive)
        } else {
            // Case folding beyond ASCII (a Kelvin sign is a `k`, `É` an `é`)
            // would make grouping by first character unsafe.
            plain(writer, &all)
        }
    }
}

/// A phrase as the characters its regex matches: words joined by one space
/// (the view squeezes whitespace), typographic apostrophes as ASCII ones (an
/// apostrophe matches both, see [`Writer::unit`]).
fn phrase_units(phrase: &str) -> Vec<char> {
    let words: Vec<&str> = phrase.split(' ').filter(|w| !w.is_empty()).collect();
    words
        .join(" ")
        .chars()
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .collect()
}

/// The pieces an alternation is made of, in some output form.
trait Writer {
    type Out;
    /// One character of a phrase (an apostrophe matches both forms).
    fn unit(&self, c: char) -> Self::Out;
    /// Pieces one after another.
    fn sequence(&self, parts: Vec<Self::Out>) -> Self::Out;
    /// Pieces as alternatives, the first preferred.
    fn alternatives(&self, parts: Vec<Self::Out>) -> Self::Out;
    /// A piece made one unit (a group in text).
    fn group(&self, inner: Self::Out) -> Self::Out;

    fn units(&self, units: &[char]) -> Self::Out {
        self.sequence(units.iter().map(|&c| self.unit(c)).collect())
    }
}

/// Pattern text.
struct Text;

impl Writer for Text {
    type Out = String;

    fn unit(&self, c: char) -> String {
        if c == '\'' {
            "['\u{2019}]".to_string()
        } else {
            regex_syntax::escape(c.encode_utf8(&mut [0; 4]))
        }
    }

    fn sequence(&self, parts: Vec<String>) -> String {
        parts.concat()
    }

    fn alternatives(&self, parts: Vec<String>) -> String {
        parts.join("|")
    }

    fn group(&self, inner: String) -> String {
        format!("(?:{inner})")
    }
}

/// The syntax tree, built as the parser builds it (the same smart
/// constructors, so literals merge and alternations simplify alike).
struct Tree {
    case_insensitive: bool,
}

impl Writer for Tree {
    type Out = Hir;

    fn unit(&self, c: char) -> Hir {
        // Lexicons are nearly all ASCII: their units are made once, then
        // copied, which skips case folding (building the trees a small
        // article needs: 18 M -> 11 M instructions).
        static ASCII: LazyLock<[[Hir; 128]; 2]> = LazyLock::new(|| {
            [false, true].map(|fold| std::array::from_fn(|b| unit_tree(b as u8 as char, fold)))
        });
        match u8::try_from(c) {
            Ok(b) if b.is_ascii() => {
                ASCII[usize::from(self.case_insensitive)][usize::from(b)].clone()
            }
            _ => unit_tree(c, self.case_insensitive),
        }
    }

    fn sequence(&self, parts: Vec<Hir>) -> Hir {
        Hir::concat(parts)
    }

    fn alternatives(&self, parts: Vec<Hir>) -> Hir {
        Hir::alternation(parts)
    }

    fn group(&self, inner: Hir) -> Hir {
        inner
    }
}

/// The tree of one character of a phrase (an apostrophe matches both forms).
fn unit_tree(c: char, case_insensitive: bool) -> Hir {
    let mut ranges = vec![ClassUnicodeRange::new(c, c)];
    if c == '\'' {
        ranges.push(ClassUnicodeRange::new('\u{2019}', '\u{2019}'));
    }
    let mut class = ClassUnicode::new(ranges);
    if case_insensitive {
        class
            .try_case_fold_simple()
            .expect("Unicode case folding is compiled in");
    }
    // A class of one character is the literal itself.
    Hir::class(Class::Unicode(class))
}

/// `alternatives` as a plain alternation, in order.
fn plain<W: Writer>(writer: &W, alternatives: &[&[char]]) -> W::Out {
    writer.alternatives(alternatives.iter().map(|a| writer.units(a)).collect())
}

/// `alternatives` (in priority order) as one alternation with common
/// prefixes factored out, matching exactly what the plain alternation
/// matches, in the same order of preference: alternatives that begin with
/// different characters never compete at one position, so only those with
/// the same first character are grouped, keeping their order; the empty
/// alternative, which competes with all, stays last. A trie instead of a
/// list makes the compiled regex several times smaller.
fn factored<W: Writer>(writer: &W, alternatives: &[&[char]], case_sensitive: bool) -> W::Out {
    let key = |c: char| {
        if case_sensitive {
            c
        } else {
            c.to_ascii_lowercase()
        }
    };
    let empty_at = alternatives.iter().position(|a| a.is_empty());
    if empty_at.is_some_and(|i| i + 1 != alternatives.len()) {
        // Cannot happen with longest-first order; keep the plain list if it does.
        return plain(writer, alternatives);
    }
    let mut groups: Vec<(char, Vec<&[char]>)> = Vec::new();
    for alternative in alternatives.iter().filter(|a| !a.is_empty()) {
        let first = key(alternative[0]);
        match groups.iter_mut().find(|(k, _)| *k == first) {
            Some((_, members)) => members.push(alternative),
            None => groups.push((first, vec![alternative])),
        }
    }
    let mut parts: Vec<W::Out> = groups
        .iter()
        .map(|(_, members)| match members.as_slice() {
            [only] => writer.units(only),
            _ => {
                // The whole common prefix at once (one group, not one per character).
                let shared = (1..)
                    .take_while(|&n| {
                        members
                            .iter()
                            .all(|m| m.len() >= n && key(m[n - 1]) == key(members[0][n - 1]))
                    })
                    .last()
                    .unwrap_or(1);
                let rests: Vec<&[char]> = members.iter().map(|m| &m[shared..]).collect();
                writer.sequence(vec![
                    writer.units(&members[0][..shared]),
                    writer.group(factored(writer, &rests, case_sensitive)),
                ])
            }
        })
        .collect();
    if empty_at.is_some() {
        parts.push(writer.sequence(Vec::new()));
    }
    writer.alternatives(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn forms(phrases: Vec<String>) -> Vec<String> {
        let mut forms = phrases;
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        forms
    }

    /// The factored alternation of `phrases` finds in `text` what the plain
    /// one finds, with the same preference among phrases (seen through a
    /// capture and what must follow it).
    fn check_factoring(
        phrases: Vec<String>,
        text: String,
        case_sensitive: bool,
    ) -> Result<(), TestCaseError> {
        let units: Vec<Vec<char>> = forms(phrases).iter().map(|f| phrase_units(f)).collect();
        let all: Vec<&[char]> = units.iter().map(Vec::as_slice).collect();
        let flags = if case_sensitive { "-i" } else { "i" };
        let (plain, factored) = (plain(&Text, &all), factored(&Text, &all, case_sensitive));
        for tail in ["", "b", r"\b", "(?:a|x)"] {
            let a = regex::Regex::new(&format!("(?{flags}:({plain})){tail}")).unwrap();
            let b = regex::Regex::new(&format!("(?{flags}:({factored})){tail}")).unwrap();
            // Each match's span and its phrase's span.
            let spans = |r: &regex::Regex| -> Vec<[Option<(usize, usize)>; 2]> {
                r.captures_iter(&text)
                    .map(|c| [0, 1].map(|i| c.get(i).map(|g| (g.start(), g.end()))))
                    .collect()
            };
            prop_assert_eq!(spans(&a), spans(&b), "{} vs {}", plain, factored);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The factored alternation finds what the plain one finds, with the
        /// same preference among phrases (seen through a capture and what
        /// must follow it).
        #[test]
        fn factoring_keeps_every_match_and_its_preference(
            phrases in proptest::collection::vec("[abAB' ]{0,4}", 1..12),
            text in "[abAB' x]{0,24}",
            case_sensitive in any::<bool>(),
        ) {
            check_factoring(phrases, text, case_sensitive)?;
        }

        /// With case, factoring holds for any characters (countries, demonyms).
        #[test]
        fn factoring_with_case_keeps_every_match_beyond_ascii(
            phrases in proptest::collection::vec("[aéÉÅ' ]{0,4}", 1..12),
            text in "[aéÉÅ' x]{0,24}",
        ) {
            check_factoring(phrases, text, true)?;
        }

        /// The tree built directly is the tree the parser gives for the text,
        /// factored or plain, with or without case, ASCII or not.
        #[test]
        fn the_built_tree_is_the_parsed_tree(
            phrases in proptest::collection::vec("[abkKsS' .\\-é’ſ]{0,5}", 1..10),
            case_sensitive in any::<bool>(),
        ) {
            let phrases = Phrases::new(&forms(phrases), case_sensitive);
            let parsed = regex_syntax::ParserBuilder::new().build().parse(&phrases.regex()).unwrap();
            prop_assert_eq!(phrases.tree(), parsed, "{}", phrases.regex());
        }
    }
}
