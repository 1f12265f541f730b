//! Arbitrary rule packs: the input is split on lines `%%%` into pack.toml,
//! rules.toml and lexicons/words.tsv. Loading gives a pack or located errors,
//! never a panic; a pack that loads runs its examples and extracts them.
#![no_main]

use std::collections::BTreeMap;

use docket::rules::PackFiles;
use docket::{Document, Extractor, Pack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split("\n%%%\n");
    let mut files = BTreeMap::new();
    for name in ["pack.toml", "rules.toml", "lexicons/words.tsv"] {
        if let Some(part) = parts.next() {
            files.insert(name.to_string(), part.to_string());
        }
    }
    let pack = match Pack::from_files(&PackFiles {
        files,
        root: "fuzz".to_string(),
    }) {
        Ok(pack) => pack,
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty());
            for p in e.problems() {
                assert!(p.location.line >= 1 && p.location.column >= 1);
            }
            return;
        }
    };
    let _ = docket::check::run_examples(&pack);
    let examples: Vec<String> = pack
        .rules
        .iter()
        .flat_map(|r| r.examples.iter().chain(&r.counter_examples))
        .map(|e| e.text.clone())
        .collect();
    let extractor = Extractor::new(pack);
    let doc = Document::from_bytes("fuzz", "fuzz.txt", examples.join("\n\n").as_bytes());
    let record = extractor.record(&doc);
    serde_json::to_string(&record).expect("a record serializes");
});
