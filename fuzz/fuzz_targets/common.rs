//! Shared by the fuzz targets: the embedded extractor, built once, and the
//! output contract every record must keep (a broken invariant is a crash).

#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::OnceLock;

use docket::{Document, Extractor, Record};

pub fn extractor() -> &'static Extractor {
    static EXTRACTOR: OnceLock<Extractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| Extractor::embedded().expect("the embedded pack loads"))
}

/// Extracts `doc` and checks the record: JSON round trip, spans on character
/// boundaries equal to their text, evidence backed by mentions.
pub fn extract_and_check(extractor: &Extractor, doc: &Document) -> Record {
    let record = extractor.record(doc);
    check(doc, &record);
    record
}

pub fn check(doc: &Document, record: &Record) {
    let json = serde_json::to_string(record).expect("a record serializes");
    let back: serde_json::Value = serde_json::from_str(&json).expect("output is valid JSON");
    assert!(back.is_object());
    let text = &doc.text;
    let mut spans = HashSet::new();
    for m in record.mentions.iter().chain(&record.facts) {
        assert!(
            m.start <= m.end && m.end <= text.len(),
            "span out of text: {m:?}"
        );
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        assert_eq!(&text[m.start..m.end], m.text);
        spans.insert((m.start, m.end, m.rule.as_str()));
    }
    for s in &record.subjects {
        for e in &s.evidence {
            assert!(
                spans.contains(&(e.start, e.end, e.rule.as_str())),
                "evidence without a mention: {e:?}"
            );
        }
        if let Some(age) = s.age {
            assert!((0..=130).contains(&age), "age {age}");
        }
        if let Some(n) = &s.nationality {
            assert!(
                n.len() == 2 && n.bytes().all(|b| b.is_ascii_uppercase()),
                "{n}"
            );
        }
        for c in &s.charges {
            assert!(!c.text.is_empty() && c.times >= 1);
        }
    }
}
