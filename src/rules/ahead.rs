//! Analyses of the embedded pack's rules, made ahead of time.
//!
//! In: the expanded pattern of a rule. Out: its [`Shape`] (capture names,
//! prefilter literals, longest match), when `embedded-analysis.json` holds
//! one for that exact pattern. Parsing every pattern and deriving its
//! literals is four fifths of loading the pack, and the result is a pure
//! function of the pattern, so the embedded pack reads it from this file
//! instead. A pattern the file does not know (a rule edited since) is
//! analysed at load as before; a test checks the file against a fresh
//! analysis and rewrites it when asked (see [`FILE`]).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::Shape;

/// The file, relative to the crate root. `cargo test` fails when it is
/// stale; `DOCKET_UPDATE_ANALYSIS=1 cargo test --lib ahead` rewrites it.
pub const FILE: &str = "src/rules/embedded-analysis.json";

const EMBEDDED: &str = include_str!("embedded-analysis.json");

/// Shapes keyed by the SHA-256 of the expanded pattern they describe.
#[derive(Debug, Default, PartialEq)]
pub struct Analyses {
    shapes: BTreeMap<String, Shape>,
}

impl Analyses {
    /// The analyses compiled into the binary (none if the file does not
    /// parse: every rule is then analysed at load, which is only slower).
    pub fn embedded() -> Analyses {
        Analyses::from_json(EMBEDDED).unwrap_or_default()
    }

    fn from_json(text: &str) -> Option<Analyses> {
        Some(Analyses {
            shapes: serde_json::from_str(text).ok()?,
        })
    }

    /// The shape of `pattern`, if known.
    pub fn get(&self, pattern: &str) -> Option<&Shape> {
        self.shapes.get(&key(pattern))
    }

    /// Records the shape of `pattern`.
    pub fn insert(&mut self, pattern: &str, shape: Shape) {
        self.shapes.insert(key(pattern), shape);
    }

    /// The file's text: one rule per line, so a rule change is a one-line diff.
    pub fn to_json(&self) -> String {
        let lines: Vec<String> = self
            .shapes
            .iter()
            .map(|(key, shape)| {
                let shape = serde_json::to_string(shape).expect("shapes serialize");
                format!("  {key:?}: {shape}")
            })
            .collect();
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }
}

fn key(pattern: &str) -> String {
    crate::source::hex(&Sha256::digest(pattern.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_holds_the_analysis_of_every_embedded_rule_and_nothing_else() {
        let fresh = crate::rules::Pack::analyse_embedded().expect("the embedded pack loads");
        let text = fresh.to_json();
        if std::env::var_os("DOCKET_UPDATE_ANALYSIS").is_some() {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
            std::fs::write(&path, &text).expect("the analysis file is writable");
            return;
        }
        assert!(
            Analyses::from_json(EMBEDDED).as_ref() == Some(&fresh),
            "{FILE} does not match the rules under rules/ (a rule changed): \
             run `DOCKET_UPDATE_ANALYSIS=1 cargo test --lib ahead` and commit the file"
        );
        assert_eq!(text, EMBEDDED, "{FILE} is not in its canonical form");
    }

    #[test]
    fn shapes_round_trip_and_unknown_patterns_miss() {
        let fresh = crate::rules::Pack::analyse_embedded().expect("the embedded pack loads");
        assert_eq!(Analyses::from_json(&fresh.to_json()), Some(fresh));
        assert!(Analyses::embedded()
            .get("(?i)not a rule of the pack")
            .is_none());
        assert!(Analyses::from_json("not json").is_none());
    }
}
