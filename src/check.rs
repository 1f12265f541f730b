//! Example checking: every rule's examples and counter-examples, run through
//! the same segment -> match path as real articles.
//!
//! In: a compiled [`Pack`]. Out: one located [`RuleProblem`] per example that
//! does not give its value (or counter-example that gives one).

use crate::error::RuleProblem;
use crate::matcher::{find_mentions_with, RuleSelection, Scratch};
use crate::mention::Value;
use crate::rules::{Example, Pack, Scale};
use crate::segment::segment;

/// Runs every example of every rule.
pub fn run_examples(pack: &Pack) -> Vec<RuleProblem> {
    let mut problems = Vec::new();
    // Examples are a sentence or two: building the rules is all the work.
    let mut scratch = Scratch::for_scale(Scale::Small);
    for (index, rule) in pack.rules.iter().enumerate() {
        for example in &rule.examples {
            let got = values(pack, index, example, &mut scratch);
            let missing: Vec<&Value> = example.expect.iter().filter(|v| !got.contains(v)).collect();
            if !missing.is_empty() {
                problems.push(problem(example, &rule.id, &missing, &got));
            }
        }
        for example in &rule.counter_examples {
            let got = values(pack, index, example, &mut scratch);
            if !got.is_empty() {
                problems.push(RuleProblem {
                    location: example.location.clone(),
                    message: format!(
                        "rule {}: counter-example {:?} must give nothing, got {}",
                        rule.id,
                        example.text,
                        list(&got)
                    ),
                });
            }
        }
    }
    problems
}

fn values(pack: &Pack, index: usize, example: &Example, scratch: &mut Scratch) -> Vec<Value> {
    let doc = segment(&example.text, &pack.segment.abbreviations);
    // The whole pack runs, so vetoes from other rules apply as they do in
    // real extraction; only this rule's mentions count.
    find_mentions_with(pack, &doc, RuleSelection::All, scratch)
        .into_iter()
        .filter(|m| m.rule == index)
        .map(|m| m.value)
        .collect()
}

fn problem(example: &Example, id: &str, missing: &[&Value], got: &[Value]) -> RuleProblem {
    let expected: Vec<String> = missing.iter().map(|v| v.to_string()).collect();
    let got = if got.is_empty() {
        "nothing".to_string()
    } else {
        list(got)
    };
    RuleProblem {
        location: example.location.clone(),
        message: format!(
            "rule {id}: example {:?} expected {}, got {got}",
            example.text,
            expected.join(", ")
        ),
    }
}

fn list(values: &[Value]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
