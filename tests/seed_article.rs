//! The seed article must give exactly the four subjects of its gold file.

mod common;

use serde_json::Value;

#[test]
fn seed_article_gives_the_four_gold_subjects() {
    let path = common::root().join("seeds/ice-declined-detainer-report.txt");
    let (extractor, doc) = (common::extractor(), common::seed_document(&path));
    let record = extractor.record(&doc);
    let got: Vec<Value> = record
        .subjects
        .iter()
        .map(|s| {
            let mut codes: Vec<(String, String)> = s
                .charges
                .iter()
                .map(|c| (c.nibrs.clone(), c.phase.clone()))
                .collect();
            codes.sort();
            serde_json::json!([s.age, s.sex, s.nationality, s.arrests, codes, s.detainer])
        })
        .collect();
    let expected = serde_json::json!([
        [
            30,
            null,
            "MX",
            null,
            [["09A", "later"], ["35A", "prior"]],
            "declined"
        ],
        [
            23,
            null,
            null,
            10,
            [["220", "prior"], ["240", "prior"], ["90Z", "prior"]],
            null
        ],
        [
            28,
            "male",
            "MX",
            null,
            [["11A", "later"], ["90Z", "prior"]],
            "declined"
        ],
        [25, null, "MX", 3, [["90D", "prior"]], "declined"],
    ]);
    assert_eq!(Value::Array(got), expected);
    for s in &record.subjects {
        assert!(!s.evidence.is_empty(), "{} has no evidence", s.id);
    }
    let facts: Vec<String> = record
        .facts
        .iter()
        .map(|f| format!("{}={}", f.field, f.value))
        .collect();
    assert!(facts.contains(&"people=15".to_string()), "{facts:?}");
    assert!(
        facts.contains(&"period=2018-01/2018-03".to_string()),
        "{facts:?}"
    );
    assert!(facts.contains(&"state=US-CA".to_string()), "{facts:?}");
    assert_eq!(record.article.published.as_deref(), Some("2019-07-17"));
    assert_eq!(record.article.author.as_deref(), Some("John Romero"));
}
