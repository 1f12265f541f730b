//! The prefilter only saves work: with it, every seed article gives exactly
//! the mentions it gives when every rule runs on every sentence.

mod common;

use docket::matcher::{find_mentions, find_mentions_with, RuleSelection, Scratch};
use docket::prefilter::Prefilter;
use docket::segment::segment_from;
use docket::Pack;

#[test]
fn prefilter_never_changes_the_mentions() {
    let filtered = Pack::embedded().unwrap();
    let mut unfiltered = Pack::embedded().unwrap();
    unfiltered.prefilter = Prefilter::new(&vec![None; unfiltered.rules.len()], &[], &[]);
    let texts = common::seed_and_dev_texts();
    let mut compared = 0;
    // Rules built for batches, each ruling hits out with its lead from the
    // first one (a batch waits for a few thousand).
    let mut leads = Scratch::for_scale(docket::rules::Scale::Large);
    leads.leads_at_once = true;
    for text in &texts {
        let doc = segment_from(text, 0, &filtered.segment.abbreviations);
        let a = find_mentions(&filtered, &doc, RuleSelection::All);
        let b = find_mentions(&unfiltered, &doc, RuleSelection::All);
        assert_eq!(a, b);
        let c = find_mentions_with(&filtered, &doc, RuleSelection::All, &mut leads);
        assert_eq!(a, c, "with leads");
        compared += a.len();
    }
    assert!(compared > 100, "only {compared} mentions compared");
}

#[test]
fn most_rules_have_literals() {
    let pack = Pack::embedded().unwrap();
    let without: Vec<&str> = pack
        .rules
        .iter()
        .filter(|r| r.literals.is_none())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        without.len() * 4 <= pack.rules.len(),
        "rules that run on every sentence: {without:?}"
    );
}
