//! Normalization: the text a rule captured -> a [`Value`].
//!
//! In: a [`Normalizer`] named in a rule file, the captured text and the
//! pack's lexicons. Out: an integer, a code or an ISO 8601 date, or `None`
//! when the text does not normalize (the mention is then dropped, never guessed).

use std::collections::BTreeMap;

use crate::mention::Value;
use crate::rules::lexicon::Lexicon;

/// How a rule turns its captured text into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalizer {
    /// Digits ("30", "10th") or a number word from the pack's number lexicon ("thirty", "twice").
    Number,
    /// The code of the phrase in the named lexicon.
    Lexicon(String),
    /// A fixed value given by the rule (`value = "declined"`).
    Const(Value),
    /// The text itself, whitespace squeezed.
    Text,
    /// A calendar date or month: "July 17, 2019" -> "2019-07-17", "March 2018" -> "2018-03".
    Date,
    /// The first and last dates in the text as an ISO 8601 interval ("2018-01/2018-03").
    Period,
}

/// Names of the lexicons that the built-in normalizers read.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizerConfig {
    /// Lexicons of number words, codes are integers ("3\tthree", "3\tthird"), tried in order.
    #[serde(default = "default_number_words")]
    pub number_words: Vec<String>,
    /// Lexicon of month names, codes are 1..12.
    #[serde(default = "default_month_names")]
    pub month_names: String,
}

fn default_number_words() -> Vec<String> {
    vec!["NUMBER_WORD".to_string()]
}

fn default_month_names() -> String {
    "MONTH".to_string()
}

impl Default for NormalizerConfig {
    fn default() -> Self {
        NormalizerConfig {
            number_words: default_number_words(),
            month_names: default_month_names(),
        }
    }
}

impl Normalizer {
    /// Parses a normalizer name from a rule file; `constant` is the rule's `value`.
    pub fn parse(name: &str, constant: Option<Value>) -> Result<Normalizer, String> {
        let normalizer = match name.split_once(':') {
            Some(("lexicon", lexicon)) if !lexicon.is_empty() => Normalizer::Lexicon(lexicon.to_string()),
            None if name == "number" => Normalizer::Number,
            None if name == "text" => Normalizer::Text,
            None if name == "date" => Normalizer::Date,
            None if name == "period" => Normalizer::Period,
            None if name == "const" => {
                let value = constant.ok_or("normalize = \"const\" needs a `value = ...` in the rule")?;
                return Ok(Normalizer::Const(value));
            }
            _ => {
                return Err(format!(
                    "unknown normalizer {name:?}: use number, text, date, period, const or lexicon:NAME"
                ))
            }
        };
        Ok(normalizer)
    }

    /// The lexicon this normalizer depends on, if any.
    pub fn lexicon(&self) -> Option<&str> {
        match self {
            Normalizer::Lexicon(name) => Some(name),
            _ => None,
        }
    }
}

/// The lexicons and settings normalization reads.
pub struct NormalizeContext<'a> {
    /// Every lexicon of the pack by name.
    pub lexicons: &'a BTreeMap<String, Lexicon>,
    /// Which lexicons hold number words and month names.
    pub config: &'a NormalizerConfig,
}

impl NormalizeContext<'_> {
    /// Applies `normalizer` to `text`.
    pub fn apply(&self, normalizer: &Normalizer, text: &str) -> Option<Value> {
        match normalizer {
            Normalizer::Number => self.number(text).map(Value::Int),
            Normalizer::Lexicon(name) => {
                let code = self.lexicons.get(name)?.lookup(text)?;
                Some(Value::Str(code.to_string()))
            }
            Normalizer::Const(value) => Some(value.clone()),
            Normalizer::Text => Some(squeeze(text))
                .filter(|words| !words.is_empty())
                .map(Value::Str),
            Normalizer::Date => self.dates(text).into_iter().next().map(Value::Str),
            Normalizer::Period => {
                let dates = self.dates(text);
                match (dates.first(), dates.last()) {
                    (Some(first), Some(last)) if dates.len() > 1 => {
                        Some(Value::Str(format!("{first}/{last}")))
                    }
                    _ => None,
                }
            }
        }
    }

    /// "30" -> 30, "10th" -> 10, "1,200" -> 1200, or a number word from the lexicon.
    pub fn number(&self, text: &str) -> Option<i64> {
        let trimmed = text.trim();
        let digits: String = trimmed.chars().filter(|c| *c != ',').collect();
        let numeric = digits.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if !numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit()) {
            return numeric.parse().ok();
        }
        let folded = trimmed.replace(['-', '\u{2010}', '\u{2011}'], " ");
        self.config
            .number_words
            .iter()
            .filter_map(|name| self.lexicons.get(name))
            .find_map(|words| words.lookup(trimmed).or_else(|| words.lookup(&folded)))
            .and_then(|code| code.parse().ok())
    }

    /// Every date or month-year in `text`, as ISO 8601 strings, in order.
    fn dates(&self, text: &str) -> Vec<String> {
        let Some(months) = self.lexicons.get(&self.config.month_names) else {
            return Vec::new();
        };
        if let Some(iso) = iso_date(text.trim()) {
            return vec![iso];
        }
        let tokens: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        let month_of = |t: &str| {
            months
                .lookup(t)
                .and_then(|c| c.parse::<u32>().ok())
                .filter(|m| (1..=12).contains(m))
        };
        let day_of = |t: &str| {
            t.trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=31).contains(d))
        };
        let year_of = |t: &str| {
            (t.len() == 4)
                .then(|| t.parse::<u32>().ok())
                .flatten()
                .filter(|y| (1000..=2999).contains(y))
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let Some(month) = month_of(tokens[i]) else {
                i += 1;
                continue;
            };
            let day_before = i.checked_sub(1).and_then(|j| day_of(tokens[j]));
            let next = tokens.get(i + 1).copied();
            let (day, year_at) = match next.and_then(day_of) {
                Some(d) if next.and_then(year_of).is_none() => (Some(d), i + 2),
                _ => (day_before, i + 1),
            };
            if let Some(year) = tokens.get(year_at).and_then(|t| year_of(t)) {
                out.push(match day {
                    Some(d) => format!("{year:04}-{month:02}-{d:02}"),
                    None => format!("{year:04}-{month:02}"),
                });
                i = year_at + 1;
            } else {
                i += 1;
            }
        }
        out
    }
}

/// `text`'s words one space apart (empty when it has none): how spans
/// are shown and how `text` values read. Nearly every span is that
/// already, and is copied as it is.
pub(crate) fn squeeze(text: &str) -> String {
    if single_spaced(text, |c| !c.is_whitespace()) {
        return text.to_string();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when `text` is words of `word` characters one space apart, with
/// no space at either end: nothing to squeeze.
pub(crate) fn single_spaced(text: &str, word: impl Fn(char) -> bool) -> bool {
    let mut after_space = true;
    text.chars().all(|c| {
        let fits = word(c) || (c == ' ' && !after_space);
        after_space = c == ' ';
        fits
    }) && !after_space
}

/// "2019-07-17" (or "2019-07") passes through unchanged when well formed.
fn iso_date(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split('-').collect();
    let ok = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_digit());
    match parts.as_slice() {
        [y, m, d] if ok(y, 4) && ok(m, 2) && ok(d, 2) => Some(text.to_string()),
        [y, m] if ok(y, 4) && ok(m, 2) => Some(text.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::lexicon::LexiconOptions;

    fn lexicons() -> BTreeMap<String, Lexicon> {
        let mut map = BTreeMap::new();
        let numbers = "3\tthree\tthird\n10\tten\n2\ttwice\ttwo\n45\tforty five\n";
        let months = "1\tJanuary\tJan.\n3\tMarch\tMar.\n7\tJuly\tJul.\n";
        for (name, text) in [("NUMBER_WORD", numbers), ("MONTH", months)] {
            let lex = Lexicon::parse(name, "t.tsv", text, LexiconOptions::default()).unwrap();
            map.insert(name.to_string(), lex);
        }
        map
    }

    proptest::proptest! {
        #[test]
        fn squeezing_takes_its_shortcut_to_the_same_words(text in "[ab \t\n\u{a0}\u{2009}\u{e9}]{0,8}") {
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(squeeze(&text), words);
        }
    }

    fn apply(normalizer: Normalizer, text: &str) -> Option<Value> {
        let lex = lexicons();
        let config = NormalizerConfig::default();
        NormalizeContext {
            lexicons: &lex,
            config: &config,
        }
        .apply(&normalizer, text)
    }

    #[test]
    fn numbers_from_digits_ordinals_and_words() {
        assert_eq!(apply(Normalizer::Number, "30"), Some(Value::Int(30)));
        assert_eq!(apply(Normalizer::Number, "10th"), Some(Value::Int(10)));
        assert_eq!(apply(Normalizer::Number, "Three"), Some(Value::Int(3)));
        assert_eq!(
            apply(Normalizer::Number, "forty-five"),
            Some(Value::Int(45))
        );
        assert_eq!(apply(Normalizer::Number, "twice"), Some(Value::Int(2)));
        assert_eq!(apply(Normalizer::Number, "several"), None);
    }

    #[test]
    fn dates_and_periods() {
        assert_eq!(
            apply(Normalizer::Date, "July 17, 2019"),
            Some(Value::Str("2019-07-17".into()))
        );
        assert_eq!(
            apply(Normalizer::Date, "17 July 2019"),
            Some(Value::Str("2019-07-17".into()))
        );
        assert_eq!(
            apply(Normalizer::Date, "2019-07-17"),
            Some(Value::Str("2019-07-17".into()))
        );
        assert_eq!(
            apply(Normalizer::Period, "January 2018 to March 2018"),
            Some(Value::Str("2018-01/2018-03".into()))
        );
        assert_eq!(apply(Normalizer::Period, "March 2018"), None);
    }

    #[test]
    fn parse_names_and_reject_unknown() {
        assert_eq!(
            Normalizer::parse("lexicon:COUNTRY", None),
            Ok(Normalizer::Lexicon("COUNTRY".into()))
        );
        assert!(Normalizer::parse("const", None)
            .unwrap_err()
            .contains("value"));
        assert!(Normalizer::parse("roman", None)
            .unwrap_err()
            .contains("unknown normalizer"));
    }
}
