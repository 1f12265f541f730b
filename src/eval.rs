//! Evaluation: predicted records against gold annotations, scored exactly as
//! the reference scorer `eval/score.py` scores them.
//!
//! In: gold subjects per article (the gold JSON format) and predicted
//! subjects in the same shape. Out: per-field true positives, predicted and
//! gold counts with precision, recall and F1, and the record-level score
//! (subjects aligned one-to-one maximising agreement), plus the per-article
//! value differences that `--show-errors` lists.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

/// Rows of the score table, in the reference scorer's order.
pub const ROWS: [&str; 8] = [
    "age",
    "sex",
    "nationality",
    "arrests",
    "charges",
    "charges+phase",
    "detainer",
    "record",
];
const SCALAR_FIELDS: [&str; 5] = ["age", "sex", "nationality", "arrests", "detainer"];
const RECORD_FIELDS: [&str; 4] = ["age", "nationality", "arrests", "detainer"];
/// Alignment is exact (dynamic programming) up to this many subjects on the smaller side.
const MAX_EXACT: usize = 12;

/// Precision, recall and F1 of one row.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Prf {
    /// True positives.
    pub tp: usize,
    /// Predicted values.
    pub pred: usize,
    /// Gold values.
    pub gold: usize,
    /// Precision.
    pub p: f64,
    /// Recall.
    pub r: f64,
    /// F1.
    pub f1: f64,
}

impl Prf {
    fn new(tp: usize, pred: usize, gold: usize) -> Prf {
        let ratio = |n: usize, other: usize| {
            if n > 0 {
                tp as f64 / n as f64
            } else if other == 0 {
                1.0
            } else {
                0.0
            }
        };
        let (p, r) = (ratio(pred, gold), ratio(gold, pred));
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        Prf {
            tp,
            pred,
            gold,
            p,
            r,
            f1,
        }
    }
}

/// The whole score.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// Articles with a gold file.
    pub articles: usize,
    /// Gold articles without a prediction (scored as no subjects).
    pub missing_predictions: Vec<String>,
    /// Predictions without a gold file (ignored).
    pub ignored_predictions: usize,
    /// One entry per row of [`ROWS`].
    pub fields: BTreeMap<String, Prf>,
}

/// A value the prediction and the gold disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Article id.
    pub article: String,
    /// Row name ("age", "charges", ...).
    pub field: String,
    /// The value, rendered.
    pub value: String,
    /// True for a false positive, false for a false negative.
    pub false_positive: bool,
}

/// Scores predictions against gold. Both map article id -> subjects (JSON objects).
pub fn score(gold: &BTreeMap<String, Vec<Value>>, preds: &BTreeMap<String, Vec<Value>>) -> Score {
    let mut totals: BTreeMap<&str, [usize; 3]> = ROWS.iter().map(|r| (*r, [0; 3])).collect();
    let empty = Vec::new();
    for (id, g) in gold {
        let p = preds.get(id).unwrap_or(&empty);
        for row in &ROWS[..ROWS.len() - 1] {
            let (gv, pv) = (field_values(g, row), field_values(p, row));
            let t = totals.get_mut(row).unwrap();
            t[0] += intersection(&gv, &pv);
            t[1] += pv.values().sum::<usize>();
            t[2] += gv.values().sum::<usize>();
        }
        let correct = align(p, g)
            .iter()
            .filter(|&&(i, j)| record_correct(&p[i], &g[j]))
            .count();
        let t = totals.get_mut("record").unwrap();
        t[0] += correct;
        t[1] += p.len();
        t[2] += g.len();
    }
    Score {
        articles: gold.len(),
        missing_predictions: gold
            .keys()
            .filter(|id| !preds.contains_key(*id))
            .cloned()
            .collect(),
        ignored_predictions: preds.keys().filter(|id| !gold.contains_key(*id)).count(),
        fields: totals
            .into_iter()
            .map(|(row, [tp, p, g])| (row.to_string(), Prf::new(tp, p, g)))
            .collect(),
    }
}

/// Every false positive and false negative value, per article and row.
pub fn differences(
    gold: &BTreeMap<String, Vec<Value>>,
    preds: &BTreeMap<String, Vec<Value>>,
) -> Vec<Difference> {
    let empty = Vec::new();
    let mut out = Vec::new();
    for (id, g) in gold {
        let p = preds.get(id).unwrap_or(&empty);
        for row in &ROWS[..ROWS.len() - 1] {
            let (gv, pv) = (field_values(g, row), field_values(p, row));
            for (false_positive, mine, theirs) in [(true, &pv, &gv), (false, &gv, &pv)] {
                for (v, &n) in mine {
                    for _ in theirs.get(v).copied().unwrap_or(0)..n {
                        out.push(Difference {
                            article: id.clone(),
                            field: row.to_string(),
                            value: v.clone(),
                            false_positive,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Where a differing value came from: for a false positive the mention
/// behind it, for a false negative a mention of that value that no subject
/// took (or "no rule" when no rule found it), with the text around it.
pub fn describe(diff: &Difference, record: &crate::Record, text: &str) -> String {
    let field = match diff.field.as_str() {
        "charges" | "charges+phase" => "charge",
        other => other,
    };
    let value = diff.value.split('/').next().unwrap_or(&diff.value);
    let evidence: Vec<(usize, usize)> = record
        .subjects
        .iter()
        .flat_map(|s| s.evidence.iter().map(|e| (e.start, e.end)))
        .collect();
    let found = record
        .mentions
        .iter()
        .filter(|m| m.field == field && m.value.to_string() == value);
    let mention = if diff.false_positive {
        found
            .into_iter()
            .find(|m| evidence.contains(&(m.start, m.end)))
    } else {
        found
            .into_iter()
            .find(|m| !evidence.contains(&(m.start, m.end)))
    };
    let kind = if diff.false_positive { "FP" } else { "FN" };
    let head = format!("{kind} {} {}={}", diff.article, diff.field, diff.value);
    match mention {
        Some(m) => format!("{head}  [{}] \"{}\"", m.rule, context(text, m.start, m.end)),
        None if diff.false_positive => format!("{head}  (from a subject's value)"),
        None => format!("{head}  no rule"),
    }
}

/// Up to 40 characters either side of a span, on one line, the span in brackets.
fn context(text: &str, start: usize, end: usize) -> String {
    let before: String = text[..start]
        .chars()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[end..].chars().take(40).collect();
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "{} [{}] {}",
        flat(&before),
        flat(&text[start..end]),
        flat(&after)
    )
}

/// The multiset of one row's non-null values over an article's subjects.
fn field_values(subjects: &[Value], row: &str) -> BTreeMap<String, usize> {
    let mut values = BTreeMap::new();
    for s in subjects {
        let items: Vec<String> = match row {
            "charges" => dedup(nibrs_codes(s)),
            "charges+phase" => dedup(
                charges(s)
                    .filter_map(|c| {
                        let code = c
                            .get("nibrs")
                            .and_then(Value::as_str)
                            .filter(|c| !c.is_empty())?;
                        let phase = c
                            .get("phase")
                            .and_then(Value::as_str)
                            .filter(|p| !p.is_empty())
                            .unwrap_or("prior");
                        Some(format!("{code}/{phase}"))
                    })
                    .collect(),
            ),
            field => s
                .get(field)
                .filter(|v| !v.is_null())
                .map(render)
                .into_iter()
                .collect(),
        };
        for item in items {
            *values.entry(item).or_insert(0) += 1;
        }
    }
    values
}

fn charges(s: &Value) -> impl Iterator<Item = &Value> {
    s.get("charges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn nibrs_codes(s: &Value) -> Vec<String> {
    charges(s)
        .filter_map(|c| c.get("nibrs").and_then(Value::as_str))
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

fn dedup(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn intersection(a: &BTreeMap<String, usize>, b: &BTreeMap<String, usize>) -> usize {
    a.iter()
        .map(|(k, n)| (*n).min(b.get(k).copied().unwrap_or(0)))
        .sum()
}

fn same(p: &Value, g: &Value, field: &str) -> bool {
    let null = Value::Null;
    p.get(field).unwrap_or(&null) == g.get(field).unwrap_or(&null)
}

fn agreement(p: &Value, g: &Value) -> usize {
    let scalars = SCALAR_FIELDS
        .iter()
        .filter(|f| p.get(**f).is_some_and(|v| !v.is_null()) && same(p, g, f))
        .count();
    let (pc, gc) = (dedup(nibrs_codes(p)), dedup(nibrs_codes(g)));
    scalars + pc.iter().filter(|c| gc.contains(c)).count()
}

fn record_correct(p: &Value, g: &Value) -> bool {
    RECORD_FIELDS.iter().all(|f| same(p, g, f)) && dedup(nibrs_codes(p)) == dedup(nibrs_codes(g))
}

/// One-to-one (pred, gold) pairs maximising total agreement, ties broken by
/// more correct records; pairs that agree on nothing are dropped.
pub fn align(pred: &[Value], gold: &[Value]) -> Vec<(usize, usize)> {
    if pred.is_empty() || gold.is_empty() {
        return Vec::new();
    }
    let swap = pred.len() < gold.len();
    let (big, small) = if swap {
        (gold.len(), pred.len())
    } else {
        (pred.len(), gold.len())
    };
    let weight = |b: usize, s: usize| {
        let (i, j) = if swap { (s, b) } else { (b, s) };
        let a = agreement(&pred[i], &gold[j]);
        if a == 0 {
            (0, 0)
        } else {
            (a, usize::from(record_correct(&pred[i], &gold[j])))
        }
    };
    let pairs = if small <= MAX_EXACT {
        align_exact(big, small, weight)
    } else {
        align_greedy(big, small, weight)
    };
    pairs
        .into_iter()
        .map(|(b, s)| if swap { (s, b) } else { (b, s) })
        .collect()
}

/// (mask of aligned small-side subjects, (agreement, correct records), pairs).
type DpEntry = (u32, (usize, usize), Vec<(usize, usize)>);

/// Dynamic programming over subsets of the smaller side, in the reference
/// scorer's order (so equal-scoring alignments resolve the same way).
fn align_exact(
    big: usize,
    small: usize,
    weight: impl Fn(usize, usize) -> (usize, usize),
) -> Vec<(usize, usize)> {
    // Insertion-ordered map: mask -> (score, assignment).
    let mut best: Vec<DpEntry> = vec![(0, (0, 0), Vec::new())];
    for b in 0..big {
        let mut next = best.clone();
        for (mask, score, assignment) in &best {
            for s in 0..small {
                if mask & (1 << s) != 0 {
                    continue;
                }
                let w = weight(b, s);
                if w.0 == 0 {
                    continue;
                }
                let candidate = (score.0 + w.0, score.1 + w.1);
                let m2 = mask | (1 << s);
                let mut extended = assignment.clone();
                extended.push((b, s));
                match next.iter_mut().find(|(m, _, _)| *m == m2) {
                    Some(entry) if candidate > entry.1 => *entry = (m2, candidate, extended),
                    Some(_) => {}
                    None => next.push((m2, candidate, extended)),
                }
            }
        }
        best = next;
    }
    let top = best.iter().map(|(_, s, _)| *s).max().unwrap_or((0, 0));
    best.into_iter()
        .find(|(_, s, _)| *s == top)
        .map(|(_, _, a)| a)
        .unwrap_or_default()
}

fn align_greedy(
    big: usize,
    small: usize,
    weight: impl Fn(usize, usize) -> (usize, usize),
) -> Vec<(usize, usize)> {
    let mut candidates: Vec<((usize, usize), usize, usize)> = (0..big)
        .flat_map(|b| (0..small).map(move |s| (b, s)))
        .map(|(b, s)| (weight(b, s), b, s))
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let (mut used_b, mut used_s, mut pairs) = (vec![false; big], vec![false; small], Vec::new());
    for (w, b, s) in candidates {
        if w.0 > 0 && !used_b[b] && !used_s[s] {
            used_b[b] = true;
            used_s[s] = true;
            pairs.push((b, s));
        }
    }
    pairs
}

/// The score as the reference scorer prints it.
pub fn format_table(score: &Score) -> String {
    let mut lines = vec![
        format!(
            "articles scored: {}  (no prediction: {}, predictions without gold ignored: {})",
            score.articles,
            score.missing_predictions.len(),
            score.ignored_predictions
        ),
        format!(
            "{:<14}{:>6}{:>6}{:>6}{:>8}{:>8}{:>8}",
            "field", "gold", "pred", "tp", "P", "R", "F1"
        ),
    ];
    for row in ROWS {
        let m = &score.fields[row];
        lines.push(format!(
            "{row:<14}{:>6}{:>6}{:>6}{:>8.3}{:>8.3}{:>8.3}",
            m.gold, m.pred, m.tp, m.p, m.r, m.f1
        ));
    }
    lines.join("\n")
}

/// The score as JSON, in the reference scorer's `--json` shape.
pub fn to_json(score: &Score) -> Value {
    let fields: serde_json::Map<String, Value> = ROWS
        .iter()
        .map(|r| (r.to_string(), json!(score.fields[*r])))
        .collect();
    json!({
        "articles": score.articles,
        "missing_predictions": score.missing_predictions,
        "ignored_predictions": score.ignored_predictions,
        "fields": fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(age: Option<i64>, nat: Option<&str>, codes: &[&str]) -> Value {
        let charges: Vec<Value> = codes
            .iter()
            .map(|c| json!({"nibrs": c, "phase": "prior"}))
            .collect();
        json!({"age": age, "sex": null, "nationality": nat, "arrests": null, "charges": charges, "detainer": null})
    }

    #[test]
    fn scores_fields_and_records() {
        let gold = BTreeMap::from([(
            "a".to_string(),
            vec![
                subject(Some(30), Some("MX"), &["35A"]),
                subject(Some(23), None, &["220"]),
            ],
        )]);
        let preds = BTreeMap::from([(
            "a".to_string(),
            vec![
                subject(Some(23), None, &["220"]),
                subject(Some(31), Some("MX"), &["35A"]),
            ],
        )]);
        let s = score(&gold, &preds);
        assert_eq!(s.fields["age"], Prf::new(1, 2, 2));
        assert_eq!(s.fields["nationality"].tp, 1);
        assert_eq!(s.fields["charges"].tp, 2);
        assert_eq!(s.fields["record"].tp, 1);
        let diffs = differences(&gold, &preds);
        assert_eq!(diffs.len(), 2);
        assert!(diffs
            .iter()
            .any(|d| d.field == "age" && d.value == "31" && d.false_positive));
        assert!(diffs
            .iter()
            .any(|d| d.field == "age" && d.value == "30" && !d.false_positive));
    }

    #[test]
    fn empty_sides_score_one_when_both_empty() {
        let gold = BTreeMap::from([("a".to_string(), vec![])]);
        let s = score(&gold, &BTreeMap::new());
        assert_eq!(
            (s.fields["age"].p, s.fields["age"].r, s.fields["age"].f1),
            (1.0, 1.0, 1.0)
        );
        assert_eq!(s.missing_predictions, ["a"]);
    }

    #[test]
    fn alignment_pairs_best_agreeing_subjects() {
        let pred = vec![
            subject(Some(23), None, &[]),
            subject(Some(30), Some("MX"), &[]),
        ];
        let gold = vec![subject(Some(30), Some("MX"), &[])];
        assert_eq!(align(&pred, &gold), [(1, 0)]);
    }
}
