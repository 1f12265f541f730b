//! Matching: a segmented document and a compiled pack -> [`Mention`]s.
//!
//! In: a [`Segmented`] document and a [`Pack`]. Out: every mention, sorted by
//! span, each with its normalized value, document byte span, rule index and
//! sentence index. Rules match within one sentence; `each` rules turn every
//! lexicon phrase inside their capture into a mention of its own; veto
//! mentions cancel mentions of the fields they name that they overlap.

use crate::mention::{Field, Mention};
use crate::normalize::NormalizeContext;
use crate::rules::{Pack, Rule};
use crate::segment::Segmented;

/// Which rules to run. Either way each rule runs only on the sentences the
/// pack's prefilter says it can match.
#[derive(Debug, Clone, Copy)]
pub enum RuleSelection {
    /// Every rule of the pack.
    All,
    /// Only the rule at this index (examples are checked one rule at a time).
    One(usize),
}

/// Finds every mention in `doc`.
pub fn find_mentions(pack: &Pack, doc: &Segmented, selection: RuleSelection) -> Vec<Mention> {
    let context = NormalizeContext {
        lexicons: &pack.lexicons,
        config: &pack.normalizers,
    };
    let candidates = pack.prefilter.candidates(&doc.view, &doc.sentences);
    let rules: Vec<usize> = match selection {
        RuleSelection::All => (0..pack.rules.len()).collect(),
        RuleSelection::One(i) => vec![i],
    };
    let mut mentions = Vec::new();
    for index in rules {
        let rule = &pack.rules[index];
        for &sentence in &candidates[index] {
            let sentence = sentence as usize;
            let range = &doc.sentences[sentence];
            let text = &doc.view[range.clone()];
            for caps in rule.regex.captures_iter(text) {
                // A capture that did not take part (the other side of an
                // alternation) falls back to the whole match.
                let Some(group) = caps.get(rule.capture).or_else(|| caps.get(0)) else {
                    continue;
                };
                let base = range.start + group.start();
                let mut push = |start: usize, end: usize, value| {
                    let span = doc.to_text(base + start..base + end);
                    mentions.push(Mention {
                        field: rule.field,
                        value,
                        start: span.start,
                        end: span.end,
                        rule: index,
                        sentence,
                    });
                };
                match rule.each.as_ref().and_then(|name| pack.lexicons.get(name)) {
                    Some(lexicon) => {
                        for hit in lexicon.scan(group.as_str()) {
                            let phrase = &group.as_str()[hit.start..hit.end];
                            let value = context
                                .apply(&rule.normalizer, phrase)
                                .unwrap_or(crate::mention::Value::Str(hit.code));
                            push(hit.start, hit.end, value);
                        }
                    }
                    None => {
                        if let Some(value) = context
                            .apply(&rule.normalizer, group.as_str())
                            .filter(|v| in_range(rule, v))
                        {
                            push(0, group.len(), value);
                        }
                    }
                }
            }
        }
    }
    apply_vetoes(pack, &mut mentions);
    mentions.sort_by_key(|m| (m.start, m.end, m.field, m.rule));
    mentions.dedup_by(|b, a| a.field == b.field && a.start == b.start && a.end == b.end);
    mentions
}

fn in_range(rule: &Rule, value: &crate::mention::Value) -> bool {
    match (rule.range, value.as_int()) {
        (Some((low, high)), Some(v)) => (low..=high).contains(&v),
        _ => true,
    }
}

/// Drops mentions that lie inside a veto span for their field. Veto spans
/// are merged per field into sorted, disjoint intervals, so each mention is
/// one binary search (a text full of vetoed phrases stays linear).
fn apply_vetoes(pack: &Pack, mentions: &mut Vec<Mention>) {
    let mut spans: Vec<(Field, usize, usize)> = Vec::new();
    for m in mentions.iter().filter(|m| m.field == Field::Veto) {
        spans.extend(
            pack.rules[m.rule]
                .vetoes
                .iter()
                .map(|&f| (f, m.start, m.end)),
        );
    }
    if spans.is_empty() {
        return;
    }
    spans.sort_unstable();
    let mut merged: Vec<(Field, usize, usize)> = Vec::with_capacity(spans.len());
    for (field, start, end) in spans {
        match merged.last_mut() {
            Some(last) if last.0 == field && start < last.2 => last.2 = last.2.max(end),
            _ => merged.push((field, start, end)),
        }
    }
    mentions.retain(|m| {
        // The last interval of this field that starts before the mention ends.
        let after = merged.partition_point(|&(f, start, _)| (f, start) < (m.field, m.end));
        !after
            .checked_sub(1)
            .map(|k| merged[k])
            .is_some_and(|(f, _, end)| f == m.field && end > m.start)
    });
}
