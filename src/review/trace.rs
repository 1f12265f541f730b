//! Why each mention ended where it did: the data behind `docket explain`.
//!
//! In: a pack and one [`Extraction`]. Out: a [`Role`] per mention (a field
//! value of a subject, overridden, a cue, a fact, or unattached and why) and
//! a serializable [`Trace`]: for every subject field the mentions and rules
//! that set it, and every mention no subject took, with the reason.
//! Mentions are named by stable ids (`age@120..122`: field and byte span),
//! which a rule change elsewhere in the text does not renumber.

use serde::Serialize;

use crate::assemble::{Fate, Subject};
use crate::mention::{Field, Mention, Value};
use crate::rules::Pack;
use crate::source::Document;
use crate::Extraction;

/// What became of one mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A value of these subjects (indexes into the assembly's subjects;
    /// more than one when a group shares it: "both citizens of Honduras").
    Value(Vec<usize>),
    /// A person phrase or reference that pointed at these subjects.
    Pointer(Vec<usize>),
    /// Attached to subject `subject`, but another mention's value won the field.
    Overridden {
        /// The subject.
        subject: usize,
        /// The mention whose value the subject holds.
        by: usize,
    },
    /// A supporting value (negative priority) with no value of its field to upgrade.
    Unconfirmed(usize),
    /// A cue that steered assembly without being attached (phase, veto).
    Cue,
    /// An article-level fact.
    Fact,
    /// Taken by no subject, and why.
    Unattached(String),
}

/// The stable id of a mention: field and byte span.
pub fn mention_id(m: &Mention) -> String {
    format!("{}@{}..{}", m.field, m.start, m.end)
}

/// The role of every mention, in mention order.
pub fn roles(extraction: &Extraction) -> Vec<Role> {
    let subjects = &extraction.assembly.subjects;
    extraction
        .assembly
        .fates
        .iter()
        .enumerate()
        .map(|(i, fate)| {
            // A mention said of a group is attached to every member, while
            // its fate names one: ask every subject that holds it.
            let holders: Vec<usize> = (0..subjects.len())
                .filter(|&k| subjects[k].mentions.contains(&i))
                .collect();
            match fate {
                Fate::Subject(k) => held_role(subjects, &holders, *k, &extraction.mentions[i]),
                Fate::Fact => Role::Fact,
                // A reference is attached, then marked as a cue.
                Fate::Cue if holders.is_empty() => Role::Cue,
                Fate::Cue => Role::Pointer(holders),
                Fate::Unattached(reason) => Role::Unattached(reason.clone()),
            }
        })
        .collect()
}

/// The role of a mention held by `holders`, `k` being the subject its fate names.
fn held_role(subjects: &[Subject], holders: &[usize], k: usize, m: &Mention) -> Role {
    let holders = if holders.is_empty() {
        vec![k]
    } else {
        holders.to_vec()
    };
    match m.field {
        Field::Charge => Role::Value(holders),
        Field::Person | Field::Ref => Role::Pointer(holders),
        field => {
            let agree: Vec<usize> = holders
                .iter()
                .copied()
                .filter(|&h| subjects[h].slot(field).is_some_and(|s| s.value == m.value))
                .collect();
            if !agree.is_empty() {
                return Role::Value(agree);
            }
            match subjects[k].slot(field) {
                Some(slot) => Role::Overridden {
                    subject: k,
                    by: slot.mention,
                },
                None => Role::Unconfirmed(k),
            }
        }
    }
}

fn subject_list(ks: &[usize]) -> String {
    let ids: Vec<String> = ks.iter().map(|k| format!("s{}", k + 1)).collect();
    ids.join(", ")
}

/// A short label for a role: `s1`, `s1, overridden by age@3..5`, `unattached: why`.
pub fn role_label(role: &Role, mentions: &[Mention]) -> String {
    match role {
        Role::Value(ks) | Role::Pointer(ks) => subject_list(ks),
        Role::Overridden { subject, by } => {
            format!(
                "s{}, overridden by {}",
                subject + 1,
                mention_id(&mentions[*by])
            )
        }
        Role::Unconfirmed(k) => format!("s{}, unconfirmed support", k + 1),
        Role::Cue => "cue".to_string(),
        Role::Fact => "fact".to_string(),
        Role::Unattached(reason) => format!("unattached: {reason}"),
    }
}

/// One mention as the trace shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MentionRef {
    /// Stable id (`field@start..end`).
    pub id: String,
    /// Field name.
    pub field: String,
    /// Normalized value.
    pub value: Value,
    /// The span's text, whitespace squeezed.
    pub text: String,
    /// Id of the rule that found it.
    pub rule: String,
}

/// One value of a subject and what set it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldTrace {
    /// Output field name ("age", "charges", ...).
    pub field: String,
    /// The value (for charges `{nibrs, phase}`).
    pub value: serde_json::Value,
    /// The mention whose value the subject holds (the first, for charges).
    pub set_by: String,
    /// Every mention attached to the subject that gives this value.
    pub mentions: Vec<MentionRef>,
}

/// One subject's values and their provenance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubjectTrace {
    /// "s1", "s2"... as in the record.
    pub id: String,
    /// Field values in output order.
    pub fields: Vec<FieldTrace>,
    /// Person phrases and references that pointed at this subject.
    pub pointers: Vec<MentionRef>,
}

/// A mention no subject holds, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unattached {
    /// The mention.
    #[serde(flatten)]
    pub mention: MentionRef,
    /// Why it is not a subject's value.
    pub reason: String,
}

/// The whole trace of one article.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Trace {
    /// Article id.
    pub id: String,
    /// Subjects in record order.
    pub subjects: Vec<SubjectTrace>,
    /// Mentions found but not attached to a subject (overridden ones included), by span.
    pub unattached: Vec<Unattached>,
    /// Cues that steered assembly (phase, veto), by span.
    pub cues: Vec<MentionRef>,
    /// Article-level facts, by span.
    pub facts: Vec<MentionRef>,
}

/// Builds the trace of one extraction.
pub fn trace(pack: &Pack, doc: &Document, extraction: &Extraction) -> Trace {
    let roles = roles(extraction);
    let mentions = &extraction.mentions;
    let reference = |i: usize| mention_ref(pack, doc, &mentions[i]);
    let pick = |want: fn(&Role) -> bool| -> Vec<MentionRef> {
        (0..mentions.len())
            .filter(|&i| want(&roles[i]))
            .map(reference)
            .collect()
    };
    let unattached = roles
        .iter()
        .enumerate()
        .filter_map(|(i, role)| {
            let reason = unattached_reason(pack, mentions, role)?;
            Some(Unattached {
                mention: reference(i),
                reason,
            })
        })
        .collect();
    let subjects = extraction
        .assembly
        .subjects
        .iter()
        .enumerate()
        .map(|(k, s)| subject_trace(pack, doc, extraction, &roles, k, s))
        .collect();
    Trace {
        id: doc.id.clone(),
        subjects,
        unattached,
        cues: pick(|r| *r == Role::Cue),
        facts: pick(|r| *r == Role::Fact),
    }
}

fn unattached_reason(pack: &Pack, mentions: &[Mention], role: &Role) -> Option<String> {
    Some(match role {
        Role::Overridden { subject, by } => {
            let m = &mentions[*by];
            format!(
                "overridden by {} ({}={} [{}]) in s{}",
                mention_id(m),
                m.field,
                m.value,
                pack.rules[m.rule].id,
                subject + 1
            )
        }
        Role::Unconfirmed(k) => format!(
            "supporting evidence only: s{} has no value of this field for it to upgrade",
            k + 1
        ),
        Role::Unattached(reason) => reason.clone(),
        Role::Value(_) | Role::Pointer(_) | Role::Cue | Role::Fact => return None,
    })
}

fn mention_ref(pack: &Pack, doc: &Document, m: &Mention) -> MentionRef {
    MentionRef {
        id: mention_id(m),
        field: m.field.as_str().to_string(),
        value: m.value.clone(),
        text: doc.text[m.start..m.end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        rule: pack.rules[m.rule].id.clone(),
    }
}

fn subject_trace(
    pack: &Pack,
    doc: &Document,
    extraction: &Extraction,
    roles: &[Role],
    k: usize,
    s: &Subject,
) -> SubjectTrace {
    let mentions = &extraction.mentions;
    let reference = |i: usize| mention_ref(pack, doc, &mentions[i]);
    let mut fields = Vec::new();
    for field in crate::output::SINGLE_VALUED_FIELDS {
        // Charges sit between arrests and detainer, as in the record.
        if field == Field::Detainer {
            fields.extend(s.charges.iter().map(|c| FieldTrace {
                field: "charges".to_string(),
                value: serde_json::json!({"nibrs": c.code, "phase": c.phase.as_str()}),
                set_by: mention_id(&mentions[c.mentions[0]]),
                mentions: c.mentions.iter().map(|&i| reference(i)).collect(),
            }));
        }
        let Some(slot) = s.slot(field) else { continue };
        let agreeing = s
            .mentions
            .iter()
            .filter(|&&i| mentions[i].field == field && mentions[i].value == slot.value)
            .map(|&i| reference(i))
            .collect();
        fields.push(FieldTrace {
            field: field.as_str().to_string(),
            value: serde_json::to_value(&slot.value).expect("values serialize"),
            set_by: mention_id(&mentions[slot.mention]),
            mentions: agreeing,
        });
    }
    let pointers = s
        .mentions
        .iter()
        .filter(|&&i| matches!(&roles[i], Role::Pointer(ks) if ks.contains(&k)))
        .map(|&i| reference(i))
        .collect();
    SubjectTrace {
        id: format!("s{}", k + 1),
        fields,
        pointers,
    }
}
