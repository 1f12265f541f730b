//! Differences between two runs: per article, the subjects added, removed and
//! changed, field by field, and a per-field summary over the corpus.
//!
//! In: two maps article id -> subjects (the JSON of `SubjectRecord`s, from
//! JSONL files or from extracting with two packs). Out: a [`CorpusDiff`].
//! Subjects are paired as the scorer pairs a prediction with gold
//! ([`crate::eval::align`]), so renumbering (`s2` becoming `s3`) is not a change.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

/// Article id -> subjects, as JSON objects.
pub type Records = BTreeMap<String, Vec<Value>>;

/// Output fields in record order; each is a row of the summary.
pub const FIELDS: [&str; 7] = crate::output::SUBJECT_FIELDS;

/// Reads records from JSONL (or pretty JSON objects one after another), as
/// `docket extract` writes them. An object without `id` is an error.
pub fn read_records(text: &str) -> Result<Records, String> {
    let mut records = Records::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    for (n, value) in stream.enumerate() {
        let value = value.map_err(|e| format!("record {}: not valid JSON: {e}", n + 1))?;
        let id = match value.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(x)) => x.to_string(),
            _ => return Err(format!("record {}: no \"id\"", n + 1)),
        };
        let subjects = value
            .get("subjects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        insert(&mut records, id, subjects);
    }
    Ok(records)
}

/// Adds one article's subjects. Two articles may share an id (one file name
/// in two folders): the later one is kept as `id#2`, `id#3`...
pub fn insert(records: &mut Records, id: String, subjects: Vec<Value>) {
    let key = if records.contains_key(&id) {
        (2..)
            .map(|n| format!("{id}#{n}"))
            .find(|k| !records.contains_key(k))
            .expect("some suffix is free")
    } else {
        id
    };
    records.insert(key, subjects);
}

/// One field value that differs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldChange {
    /// Field name ("charges" for one charge `NIBRS/phase`).
    pub field: String,
    /// The old value, rendered; null when added.
    pub old: Option<String>,
    /// The new value, rendered; null when removed.
    pub new: Option<String>,
}

/// What happened to one subject.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SubjectChange {
    /// Only in the new run.
    Added {
        /// Its id in the new run.
        new: String,
        /// Its values (all added).
        fields: Vec<FieldChange>,
    },
    /// Only in the old run.
    Removed {
        /// Its id in the old run.
        old: String,
        /// Its values (all removed).
        fields: Vec<FieldChange>,
    },
    /// In both, with different values.
    Changed {
        /// Id in the old run.
        old: String,
        /// Id in the new run.
        new: String,
        /// The values that differ.
        fields: Vec<FieldChange>,
    },
}

impl SubjectChange {
    /// The field changes.
    pub fn fields(&self) -> &[FieldChange] {
        match self {
            SubjectChange::Added { fields, .. }
            | SubjectChange::Removed { fields, .. }
            | SubjectChange::Changed { fields, .. } => fields,
        }
    }
}

/// One article that differs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArticleDiff {
    /// Article id.
    pub id: String,
    /// "changed", "only_old" or "only_new".
    pub status: &'static str,
    /// Subject changes: changed and removed in old order, then added in new order.
    pub subjects: Vec<SubjectChange>,
}

/// Counts of one summary row.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Values (or subjects) only in the new run.
    pub added: usize,
    /// Only in the old run.
    pub removed: usize,
    /// In both, different.
    pub changed: usize,
}

/// One row of the per-field summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldSummary {
    /// Field name.
    pub field: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// The differences over a corpus.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CorpusDiff {
    /// Articles in either run.
    pub articles: usize,
    /// Articles that differ, by id.
    pub differing: Vec<ArticleDiff>,
    /// Subjects added, removed, changed.
    pub subjects: Counts,
    /// Per field, in record order.
    pub fields: Vec<FieldSummary>,
}

impl CorpusDiff {
    /// True when the runs agree on every subject value.
    pub fn is_empty(&self) -> bool {
        self.differing.is_empty()
    }
}

/// Compares two runs.
pub fn diff(old: &Records, new: &Records) -> CorpusDiff {
    let empty = Vec::new();
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut differing = Vec::new();
    for id in &ids {
        let (o, n) = (old.get(*id), new.get(*id));
        let subjects = diff_subjects(o.unwrap_or(&empty), n.unwrap_or(&empty));
        let status = match (o, n) {
            (Some(_), None) => "only_old",
            (None, Some(_)) => "only_new",
            _ if subjects.is_empty() => continue,
            _ => "changed",
        };
        differing.push(ArticleDiff {
            id: (*id).clone(),
            status,
            subjects,
        });
    }
    summarize(ids.len(), differing)
}

fn summarize(articles: usize, differing: Vec<ArticleDiff>) -> CorpusDiff {
    let mut subjects = Counts::default();
    let mut fields: BTreeMap<&str, Counts> =
        FIELDS.iter().map(|f| (*f, Counts::default())).collect();
    for change in differing.iter().flat_map(|a| &a.subjects) {
        match change {
            SubjectChange::Added { .. } => subjects.added += 1,
            SubjectChange::Removed { .. } => subjects.removed += 1,
            SubjectChange::Changed { .. } => subjects.changed += 1,
        }
        for f in change.fields() {
            let counts = fields.entry(field_row(&f.field)).or_default();
            match (&f.old, &f.new) {
                (None, _) => counts.added += 1,
                (_, None) => counts.removed += 1,
                _ => counts.changed += 1,
            }
        }
    }
    CorpusDiff {
        articles,
        differing,
        subjects,
        fields: FIELDS
            .iter()
            .map(|f| FieldSummary {
                field: f.to_string(),
                counts: fields[f],
            })
            .collect(),
    }
}

fn field_row(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|f| **f == field)
        .copied()
        .unwrap_or("name")
}

/// Subject changes of one article, subjects paired as the scorer pairs them.
pub fn diff_subjects(old: &[Value], new: &[Value]) -> Vec<SubjectChange> {
    let pairs = crate::eval::align(new, old);
    let mut out = Vec::new();
    for (j, o) in old.iter().enumerate() {
        match pairs.iter().find(|&&(_, oj)| oj == j) {
            Some(&(i, _)) => {
                let fields = compare(&values(o), &values(&new[i]));
                if !fields.is_empty() {
                    out.push(SubjectChange::Changed {
                        old: subject_id(o, j),
                        new: subject_id(&new[i], i),
                        fields,
                    });
                }
            }
            None => out.push(SubjectChange::Removed {
                old: subject_id(o, j),
                fields: compare(&values(o), &[]),
            }),
        }
    }
    for (i, n) in new.iter().enumerate() {
        if !pairs.iter().any(|&(ni, _)| ni == i) {
            out.push(SubjectChange::Added {
                new: subject_id(n, i),
                fields: compare(&[], &values(n)),
            });
        }
    }
    out
}

fn subject_id(s: &Value, index: usize) -> String {
    s.get("id")
        .and_then(Value::as_str)
        .map_or_else(|| format!("s{}", index + 1), str::to_string)
}

/// (field, key, rendered value) for every non-null value of a subject; one
/// entry per charge, keyed by code and phase.
fn values(s: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for field in FIELDS {
        if field == "charges" {
            for c in s
                .get("charges")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let code = c.get("nibrs").map(render).unwrap_or_default();
                let phase = c.get("phase").and_then(Value::as_str).unwrap_or("prior");
                let key = format!("{code}/{phase}");
                let rendered = match c.get("times").and_then(Value::as_u64) {
                    Some(n) if n > 1 => format!("{key} x{n}"),
                    _ => key.clone(),
                };
                out.push((field.to_string(), key, rendered));
            }
        } else if let Some(v) = s.get(field).filter(|v| !v.is_null()) {
            out.push((field.to_string(), field.to_string(), render(v)));
        }
    }
    out
}

fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

type Entry = (String, String, String);

fn compare(old: &[Entry], new: &[Entry]) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for (field, key, value) in old {
        match new.iter().find(|(_, k, _)| k == key) {
            Some((_, _, v)) if v == value => {}
            found => out.push(FieldChange {
                field: field.clone(),
                old: Some(value.clone()),
                new: found.map(|(_, _, v)| v.clone()),
            }),
        }
    }
    for (field, key, value) in new {
        if !old.iter().any(|(_, k, _)| k == key) {
            out.push(FieldChange {
                field: field.clone(),
                old: None,
                new: Some(value.clone()),
            });
        }
    }
    out.sort_by_key(|f| FIELDS.iter().position(|x| *x == f.field));
    out
}

/// The diff as text: one block per differing article, then the summary.
pub fn format_text(diff: &CorpusDiff) -> String {
    let mut out = String::new();
    for article in &diff.differing {
        let note = match article.status {
            "only_old" => " (only in OLD)",
            "only_new" => " (only in NEW)",
            _ => "",
        };
        let _ = writeln!(out, "{}{note}", article.id);
        for change in &article.subjects {
            out.push_str(&format_change(change));
        }
    }
    if !diff.differing.is_empty() {
        out.push('\n');
    }
    out.push_str(&format_summary(diff));
    out
}

fn format_change(change: &SubjectChange) -> String {
    let all = |fields: &[FieldChange], new: bool| {
        fields
            .iter()
            .filter_map(|f| {
                let v = if new { &f.new } else { &f.old };
                v.as_ref().map(|v| format!("{}={v}", f.field))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match change {
        SubjectChange::Added { new, fields } => format!("  + {new}: {}\n", all(fields, true)),
        SubjectChange::Removed { old, fields } => format!("  - {old}: {}\n", all(fields, false)),
        SubjectChange::Changed { old, new, fields } => {
            let id = if old == new {
                old.clone()
            } else {
                format!("{old} -> {new}")
            };
            let mut out = String::new();
            for f in fields {
                let what = match (&f.old, &f.new) {
                    (Some(o), Some(n)) => format!("{} {o} -> {n}", f.field),
                    (None, Some(n)) => format!("{} +{n}", f.field),
                    (Some(o), None) => format!("{} -{o}", f.field),
                    (None, None) => f.field.clone(),
                };
                let _ = writeln!(out, "  ~ {id}: {what}");
            }
            out
        }
    }
}

fn format_summary(diff: &CorpusDiff) -> String {
    let mut out = format!(
        "{:<12}{:>7}{:>9}{:>9}\n",
        "field", "added", "removed", "changed"
    );
    let rows = diff
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.counts))
        .chain([("subjects", diff.subjects)]);
    for (name, c) in rows {
        let _ = writeln!(
            out,
            "{name:<12}{:>7}{:>9}{:>9}",
            c.added, c.removed, c.changed
        );
    }
    let _ = writeln!(
        out,
        "{} of {} articles differ",
        diff.differing.len(),
        diff.articles
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subject(id: &str, age: Option<i64>, nat: Option<&str>, codes: &[&str]) -> Value {
        let charges: Vec<Value> = codes
            .iter()
            .map(|c| json!({"nibrs": c, "phase": "prior", "times": 1}))
            .collect();
        json!({"id": id, "name": null, "age": age, "sex": null, "nationality": nat,
               "arrests": null, "charges": charges, "detainer": null})
    }

    #[test]
    fn renumbered_subjects_are_paired_and_fields_compared() {
        let old = Records::from([(
            "a".to_string(),
            vec![subject("s1", Some(30), Some("MX"), &["35A"])],
        )]);
        let new = Records::from([(
            "a".to_string(),
            vec![
                subject("s1", Some(19), None, &[]),
                subject("s2", Some(30), Some("MX"), &["220"]),
            ],
        )]);
        let d = diff(&old, &new);
        let changes = &d.differing[0].subjects;
        assert_eq!(changes.len(), 2);
        let SubjectChange::Changed { old, new, fields } = &changes[0] else {
            panic!("{changes:?}")
        };
        assert_eq!((old.as_str(), new.as_str()), ("s1", "s2"));
        assert_eq!(fields.len(), 2);
        assert!(matches!(&changes[1], SubjectChange::Added { new, .. } if new == "s1"));
        let charges = d.fields.iter().find(|f| f.field == "charges").unwrap();
        assert_eq!((charges.counts.added, charges.counts.removed), (1, 1));
        assert_eq!(d.subjects.added, 1);
    }

    #[test]
    fn identical_runs_do_not_differ() {
        let runs = Records::from([("a".to_string(), vec![subject("s1", Some(3), None, &[])])]);
        assert!(diff(&runs, &runs).is_empty());
        assert!(format_text(&diff(&runs, &runs)).ends_with("0 of 1 articles differ\n"));
    }

    #[test]
    fn reads_jsonl_and_pretty_json() {
        let text =
            "{\"id\": \"a\", \"subjects\": []}\n{\n  \"id\": \"b\",\n  \"subjects\": [{}]\n}\n";
        let records = read_records(text).unwrap();
        assert_eq!(records["b"].len(), 1);
        assert!(read_records("{\"subjects\": []}").is_err());
    }
}
