//! Analyses of the embedded pack's rules, made ahead of time.
//!
//! In: the embedded pack's files. Out: each rule's [`Shape`] (capture
//! names, prefilter literals, longest match), when `embedded-analysis.json`
//! was written for exactly these files. Expanding, parsing and analysing
//! every pattern was most of loading the pack, and the result is a pure
//! function of the files, so the embedded pack reads it from this file and
//! expands each rule only when it is first compiled. When the files differ
//! (a rule edited since), every rule is analysed at load as before; a test
//! checks the file against a fresh analysis and rewrites it when asked
//! (see [`FILE`]).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{PackFiles, Shape};

/// The file, relative to the crate root. `cargo test` fails when it is
/// stale; `DOCKET_UPDATE_ANALYSIS=1 cargo test --lib ahead` rewrites it.
pub const FILE: &str = "src/rules/embedded-analysis.json";

const EMBEDDED: &str = include_str!("embedded-analysis.json");

/// Shapes by rule id, and the digest of the pack files they describe.
#[derive(Debug, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Analyses {
    pack: String,
    rules: BTreeMap<String, Shape>,
}

impl Analyses {
    /// The analyses compiled into the binary, if they describe `files`
    /// (`None` also when the file does not parse: every rule is then
    /// analysed at load, which is only slower).
    pub fn embedded_for(files: &PackFiles) -> Option<BTreeMap<String, Shape>> {
        Analyses::from_json(EMBEDDED)
            .filter(|a| a.pack == digest(files))
            .map(|a| a.rules)
    }

    fn from_json(text: &str) -> Option<Analyses> {
        serde_json::from_str(text).ok()
    }

    /// No shapes yet, for the pack made of `files`.
    pub fn new(files: &PackFiles) -> Analyses {
        Analyses {
            pack: digest(files),
            rules: BTreeMap::new(),
        }
    }

    /// Records the shape of rule `id`.
    pub fn insert(&mut self, id: &str, shape: Shape) {
        self.rules.insert(id.to_string(), shape);
    }

    /// The file's text: one rule per line, so a rule change is a one-line diff.
    pub fn to_json(&self) -> String {
        let lines: Vec<String> = self
            .rules
            .iter()
            .map(|(id, shape)| {
                let shape = serde_json::to_string(shape).expect("shapes serialize");
                format!("    {id:?}: {shape}")
            })
            .collect();
        format!(
            "{{\n  \"pack\": {:?},\n  \"rules\": {{\n{}\n  }}\n}}\n",
            self.pack,
            lines.join(",\n")
        )
    }
}

/// SHA-256 over every file of the pack, each as its path, its length and
/// its text (so no two different packs give the same input).
fn digest(files: &PackFiles) -> String {
    let mut hasher = Sha256::new();
    for (path, text) in &files.files {
        for part in [path.as_bytes(), text.as_bytes()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    crate::source::hex(&hasher.finalize())
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
    fn shapes_round_trip_and_serve_only_the_files_they_describe() {
        let fresh = crate::rules::Pack::analyse_embedded().expect("the embedded pack loads");
        assert_eq!(Analyses::from_json(&fresh.to_json()).as_ref(), Some(&fresh));
        let mut files = crate::rules::embedded::files();
        assert_eq!(Analyses::embedded_for(&files), Some(fresh.rules));
        let manifest = files
            .files
            .get_mut(crate::rules::MANIFEST)
            .expect("a manifest");
        manifest.push_str("\n# edited\n");
        assert_eq!(Analyses::embedded_for(&files), None);
        assert!(Analyses::from_json("not json").is_none());
    }
}
