//! The output contract: every seed's record validates against the JSON
//! Schema, spans lie on character boundaries and match their text, every
//! subject value is backed by evidence, and output is deterministic.

mod common;

use docket::Record;
use serde_json::Value;

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(common::root().join("docs/docket.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// The seed articles and an extractor: records borrow both.
struct Seeds {
    extractor: docket::Extractor,
    docs: Vec<docket::Document>,
}

impl Seeds {
    fn load() -> Seeds {
        Seeds {
            extractor: common::extractor(),
            docs: common::seed_paths()
                .iter()
                .map(|p| common::seed_document(p))
                .collect(),
        }
    }

    fn records(&self) -> impl Iterator<Item = (&docket::Document, Record<'_>)> {
        self.docs
            .iter()
            .map(|doc| (doc, self.extractor.record(doc)))
    }
}

#[test]
fn every_seed_record_validates_against_the_schema() {
    let validator = schema_validator();
    for (doc, record) in Seeds::load().records() {
        let value = serde_json::to_value(&record).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", doc.id);
    }
}

#[test]
fn schema_rejects_a_record_that_breaks_the_contract() {
    let validator = schema_validator();
    let seeds = Seeds::load();
    let (_, record) = seeds.records().next().unwrap();
    let mut value = serde_json::to_value(&record).unwrap();
    value["subjects"] = serde_json::json!([{ "id": "s1", "age": "thirty" }]);
    assert!(!validator.is_valid(&value));
}

#[test]
fn spans_match_their_text_and_evidence_backs_every_value() {
    for (doc, record) in Seeds::load().records() {
        for m in record.mentions.iter().chain(&record.facts) {
            assert!(
                doc.text.is_char_boundary(m.start) && doc.text.is_char_boundary(m.end),
                "{}: {m:?}",
                doc.id
            );
            assert_eq!(&doc.text[m.start..m.end], m.text, "{}", doc.id);
        }
        for s in &record.subjects {
            let fields = [
                ("age", s.age.is_some()),
                ("sex", s.sex.is_some()),
                ("nationality", s.nationality.is_some()),
                ("arrests", s.arrests.is_some()),
                ("detainer", s.detainer.is_some()),
                ("charges", !s.charges.is_empty()),
            ];
            for (field, present) in fields {
                let backed = s.evidence.iter().any(|e| e.field == field);
                assert_eq!(
                    present, backed,
                    "{} {}: field {field} present={present} evidence={backed}",
                    doc.id, s.id
                );
            }
            for e in &s.evidence {
                let mention = record
                    .mentions
                    .iter()
                    .find(|m| m.start == e.start && m.end == e.end && m.rule == e.rule);
                assert!(
                    mention.is_some(),
                    "{} {}: evidence {e:?} has no mention",
                    doc.id,
                    s.id
                );
            }
        }
    }
}

#[test]
fn output_is_deterministic() {
    let first: Vec<String> = Seeds::load()
        .records()
        .map(|(_, r)| serde_json::to_string(&r).unwrap())
        .collect();
    let second: Vec<String> = Seeds::load()
        .records()
        .map(|(_, r)| serde_json::to_string(&r).unwrap())
        .collect();
    assert_eq!(first, second);
}
