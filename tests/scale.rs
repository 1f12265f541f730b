//! The scale of input rules are built for only changes the cost: every
//! seed and development article gives exactly the same mentions and
//! records with rules built for small input (NFA engines alone) or for
//! large input (the lazy DFA too, and value groups found by the split
//! pattern), and extracted one at a time or in a group.

mod common;

use docket::matcher::{find_mentions_with, RuleSelection, Scratch};
use docket::segment::segment_from;
use docket::{Document, Extractor, Pack, Scale};

#[test]
fn rules_built_for_either_scale_find_the_same_mentions() {
    let pack = Pack::embedded().unwrap();
    let mut small = Scratch::for_scale(Scale::Small);
    let mut large = Scratch::for_scale(Scale::Large);
    let mut compared = 0;
    // Twice over: rules that match often get their pattern split around
    // the value group during the first round (see `docket::rules::split`),
    // so the second finds their groups that way throughout.
    let texts = common::seed_and_dev_texts();
    for text in texts.iter().chain(&texts) {
        let doc = segment_from(text, 0, &pack.segment.abbreviations);
        let a = find_mentions_with(&pack, &doc, RuleSelection::All, &mut small);
        let b = find_mentions_with(&pack, &doc, RuleSelection::All, &mut large);
        assert_eq!(a, b);
        compared += a.len();
    }
    assert!(compared > 100, "only {compared} mentions compared");
    assert_eq!(
        small.rules_split(),
        0,
        "the NFA engines find groups themselves"
    );
    assert!(large.rules_split() > 0, "no rule was split");
    assert!(pack
        .rules
        .iter()
        .all(|r| r.regex.is_compiled(Scale::Small) == r.regex.is_compiled(Scale::Large)));
}

#[test]
fn the_expected_input_size_picks_the_scale_not_the_records() {
    assert_eq!(Scale::of_input(0), Scale::Small);
    assert_eq!(Scale::of_input(Scale::LARGE_FROM), Scale::Large);
    let small = Extractor::embedded().unwrap().with_expected_input(10_000);
    let large = Extractor::embedded().unwrap().with_expected_input(u64::MAX);
    for path in common::seed_paths() {
        let doc: Document = common::seed_document(&path);
        assert_eq!(small.record(&doc), large.record(&doc), "{}", path.display());
    }
    let used = |extractor: &Extractor, scale| {
        extractor
            .pack()
            .rules
            .iter()
            .filter(|r| r.regex.is_compiled(scale))
            .count()
    };
    assert!(used(&small, Scale::Small) > 10);
    assert_eq!(used(&small, Scale::Large), 0);
    assert_eq!(used(&large, Scale::Small), 0);
    assert!(used(&large, Scale::Large) > 10);
}

#[test]
fn documents_extracted_in_a_group_get_what_each_gets_alone() {
    let extractor = Extractor::embedded().unwrap();
    let docs: Vec<Document> = common::seed_and_dev_texts()
        .iter()
        .enumerate()
        .map(|(i, text)| Document::from_bytes(&i.to_string(), "x.txt", text.as_bytes()))
        .collect();
    let refs: Vec<&Document> = docs.iter().collect();
    let alone: Vec<_> = docs.iter().map(|doc| extractor.record(doc)).collect();
    // The whole corpus, then groups of three (a rule one document needs
    // and the next does not, a document with no mention at all...).
    assert_eq!(extractor.records(&refs), alone);
    let in_threes: Vec<_> = refs.chunks(3).flat_map(|g| extractor.records(g)).collect();
    assert_eq!(in_threes, alone);
    assert!(alone.iter().map(|r| r.subjects.len()).sum::<usize>() > 20);
    assert!(extractor.records(&[]).is_empty());
}
