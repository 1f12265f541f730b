//! Output guarantees as properties, over generated articles (fragments the
//! rules look for, mixed with arbitrary Unicode, Markdown and odd line ends)
//! and over mutated seed articles:
//!
//! - the record is valid JSON that validates against `docs/docket.schema.json`;
//! - every span lies inside the text, on character boundaries, and its text
//!   equals the mention's `text`;
//! - every subject field equals the value of one of its evidence mentions,
//!   and every evidence mention holds the subject's value;
//! - the same input gives byte-identical output on repeated runs and with
//!   any `--jobs`.

mod common;

use std::collections::HashMap;
use std::fs;
use std::sync::OnceLock;

use docket::{Document, Extractor};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

fn extractor() -> &'static Extractor {
    static E: OnceLock<Extractor> = OnceLock::new();
    E.get_or_init(common::extractor)
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = fs::read_to_string(common::root().join("docs/docket.schema.json")).unwrap();
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    })
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every guarantee of one record (as JSON) about `text`; `Err` says which broke.
fn check_record(record: &Value, text: &str) -> Result<(), String> {
    let errors: Vec<String> = validator()
        .iter_errors(record)
        .take(3)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    if !errors.is_empty() {
        return Err(format!("schema: {errors:?}"));
    }
    let mut by_span: HashMap<(u64, u64, &str), &Value> = HashMap::new();
    for m in record["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(record["facts"].as_array().unwrap())
    {
        let (start, end) = (m["start"].as_u64().unwrap(), m["end"].as_u64().unwrap());
        let (s, e) = (start as usize, end as usize);
        if s > e || e > text.len() {
            return Err(format!("span outside the text ({} bytes): {m}", text.len()));
        }
        if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            return Err(format!("span not on character boundaries: {m}"));
        }
        if text[s..e] != *m["text"].as_str().unwrap() {
            return Err(format!("span text {:?} differs: {m}", &text[s..e]));
        }
        by_span.insert((start, end, m["rule"].as_str().unwrap()), m);
    }
    for s in record["subjects"].as_array().unwrap() {
        let id = &s["id"];
        let mut evidence: HashMap<&str, Vec<&Value>> = HashMap::new();
        for e in s["evidence"].as_array().unwrap() {
            let key = (
                e["start"].as_u64().unwrap(),
                e["end"].as_u64().unwrap(),
                e["rule"].as_str().unwrap(),
            );
            let Some(m) = by_span.get(&key) else {
                return Err(format!("{id}: evidence {e} has no mention"));
            };
            let field = e["field"].as_str().unwrap();
            let mention_field = if field == "charges" { "charge" } else { field };
            if m["field"] != mention_field {
                return Err(format!(
                    "{id}: evidence {e} points at a {} mention",
                    m["field"]
                ));
            }
            evidence.entry(field).or_default().push(m);
        }
        for field in ["name", "age", "sex", "nationality", "arrests", "detainer"] {
            let value = &s[field];
            let backing = evidence.get(field).map_or(&[][..], Vec::as_slice);
            if value.is_null() {
                if !backing.is_empty() {
                    return Err(format!("{id}: {field} is null but has evidence"));
                }
                continue;
            }
            if backing.is_empty() {
                return Err(format!("{id}: {field} = {value} has no evidence"));
            }
            if let Some(m) = backing.iter().find(|m| m["value"] != *value) {
                return Err(format!("{id}: {field} = {value} but evidence {m} differs"));
            }
        }
        let charges = evidence.get("charges").map_or(&[][..], Vec::as_slice);
        for c in s["charges"].as_array().unwrap() {
            let backed = charges.iter().any(|m| {
                m["value"] == c["nibrs"] && squeeze(m["text"].as_str().unwrap()) == c["text"]
            });
            if !backed {
                return Err(format!("{id}: charge {c} has no evidence"));
            }
        }
        if let Some(m) = charges.iter().find(|m| {
            !s["charges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["nibrs"] == m["value"])
        }) {
            return Err(format!("{id}: charge evidence {m} is in no charge"));
        }
    }
    Ok(())
}

/// Extracts `text` twice; both renderings must be identical and the record valid.
fn check_text(raw: &[u8]) -> Result<(), TestCaseError> {
    let doc = Document::from_bytes("p", "p.txt", raw);
    let first = serde_json::to_vec(&extractor().record(&doc)).unwrap();
    let again = Document::from_bytes("p", "p.txt", raw);
    let second = serde_json::to_vec(&extractor().record(&again)).unwrap();
    prop_assert!(first == second, "output differs between two runs");
    let record: Value = serde_json::from_slice(&first)
        .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
    check_record(&record, &doc.text).map_err(TestCaseError::fail)
}

/// Pieces of articles: what the rules look for, glue, and hostile bits.
const FRAGMENTS: &[&str] = &[
    "A 25-year-old",
    "a 31-year-old man",
    "thirty-year-old",
    "Mexican national",
    "Guatemalan",
    "citizen of Honduras",
    "an illegal alien from El Salvador",
    "was arrested",
    "was arrested for DUI",
    "arrested three different times",
    "has been arrested 12 times",
    "charged with burglary, assault and drug possession",
    "convicted of vehicle theft",
    "ICE lodged a detainer",
    "the detainer was ignored",
    "was released",
    "and later arrested for murder",
    "was handed over to ICE",
    "He",
    "She",
    "The man",
    "that same individual",
    "John Smith, 42,",
    "Mr. Ruiz",
    "the 25-year-old",
    "Age: 54",
    "Nationality: Mexico",
    "In January 2018",
    "from March 2018 to May 2019",
    "in California",
    "17 people",
    "July 17, 2019",
    ". ",
    ", ",
    " ",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\n- ",
    "\n12. ",
    "[arrested](https://x.org/a_(b))",
    "**",
    "\u{201C}",
    "\u{201D}",
    "\u{2019}s",
    "\u{e9}",
    "e\u{301}",
    "\u{5d0}\u{5d1}",
    "\u{200f}",
    "\u{FFFD}",
    "\t",
    "\0",
    "U.S.",
    "No. 4",
];

fn article() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
        1 => "\\PC{0,12}",
        1 => "[0-9]{1,4}",
        1 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

fn seed_texts() -> Vec<Vec<u8>> {
    common::seed_paths()
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect()
}

/// A seed article cut at a random place, with a random piece inserted
/// somewhere and a random byte range removed (possibly mid-character).
fn mutated_seed() -> impl Strategy<Value = Vec<u8>> {
    let seeds = seed_texts();
    (
        0..seeds.len(),
        any::<prop::sample::Index>(),
        article(),
        any::<prop::sample::Index>(),
        0usize..40,
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(k, insert_at, piece, cut_at, cut_len, end_at)| {
            let mut raw = seeds[k].clone();
            let at = insert_at.index(raw.len() + 1);
            raw.splice(at..at, piece.into_bytes());
            let from = cut_at.index(raw.len() + 1);
            let to = (from + cut_len).min(raw.len());
            raw.drain(from..to);
            let end = end_at.index(raw.len() + 1).max(raw.len() / 2);
            raw.truncate(end);
            raw
        })
}

proptest! {
    #![proptest_config(Config {
        cases: if cfg!(debug_assertions) { 32 } else { 256 },
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn generated_articles_keep_every_guarantee(text in article()) {
        check_text(text.as_bytes())?;
    }

    #[test]
    fn mutated_seed_articles_keep_every_guarantee(raw in mutated_seed()) {
        check_text(&raw)?;
    }

    #[test]
    fn arbitrary_bytes_keep_every_guarantee(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_text(&raw)?;
    }
}

#[test]
fn every_seed_article_keeps_every_guarantee() {
    for (path, raw) in common::seed_paths().iter().zip(seed_texts()) {
        if let Err(e) = check_text(&raw) {
            panic!("{}: {e}", path.display());
        }
    }
}

/// A fixed sample of generated and mutated articles, as files.
fn corpus(dir: &std::path::Path) -> usize {
    let mut runner = TestRunner::deterministic();
    let mut n = 0;
    for (k, raw) in seed_texts().into_iter().enumerate() {
        fs::write(dir.join(format!("seed-{k:02}.txt")), raw).unwrap();
        n += 1;
    }
    let generated = article();
    let mutated = mutated_seed();
    for k in 0..24 {
        let text = generated.new_tree(&mut runner).unwrap().current();
        fs::write(dir.join(format!("gen-{k:02}.txt")), text).unwrap();
        let raw = mutated.new_tree(&mut runner).unwrap().current();
        fs::write(dir.join(format!("mut-{k:02}.md")), raw).unwrap();
        n += 2;
    }
    n
}

#[test]
fn cli_output_is_valid_and_byte_identical_for_any_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let n = corpus(&input);
    let run = |jobs: &str| {
        let out = common::docket()
            .args(["extract", "-q", "--emit-text", "--jobs", jobs, "in"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    let lines: Vec<&str> = std::str::from_utf8(&one).unwrap().lines().collect();
    assert_eq!(lines.len(), n);
    for line in &lines {
        let record: Value = serde_json::from_str(line).unwrap();
        let text = record["text"].as_str().unwrap();
        if let Err(e) = check_record(&record, text) {
            panic!("{}: {e}", record["id"]);
        }
    }
    for jobs in ["2", "3", "8"] {
        assert!(run(jobs) == one, "--jobs {jobs} differs from --jobs 1");
    }
    assert!(run("1") == one, "a second run differs");
}

#[test]
fn out_dir_files_are_byte_identical_for_any_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    corpus(&input);
    let files = |jobs: &str| {
        let out_dir = format!("out-{jobs}");
        let out = common::docket()
            .args(["extract", "-q", "--jobs", jobs, "--out-dir", &out_dir, "in"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let mut all: Vec<(String, Vec<u8>)> = fs::read_dir(dir.path().join(&out_dir))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        all.sort();
        all
    };
    let one = files("1");
    assert!(!one.is_empty());
    assert!(files("4") == one, "--jobs 4 wrote different files");
}
