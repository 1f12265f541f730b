//! Output: an extraction -> the JSON record contract (see `docs/output.md`),
//! and the reviewer's caret view ([`caret`]).
//!
//! In: a [`Document`], the pack and its [`Extraction`]. Out: a [`Record`]
//! whose serde serialization is the documented contract, field order fixed.

pub mod caret;

use serde::Serialize;

use crate::assemble::{Fate, Subject};
use crate::mention::{Field, Mention, Value};
use crate::normalize::squeeze;
use crate::rules::Pack;
use crate::source::Document;
use crate::Extraction;

/// One article's output. Its mentions borrow their text and rule ids from
/// the document and the pack: an article has hundreds of mentions, and
/// copying three strings for each was a quarter of a batch's allocations.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Record<'a> {
    /// Article id (file stem or JSONL id).
    pub id: String,
    /// Where the text came from.
    pub source: SourceInfo,
    /// Header facts.
    pub article: ArticleInfo,
    /// One entry per person described.
    pub subjects: Vec<SubjectRecord>,
    /// Every mention found, attached or not.
    pub mentions: Vec<MentionRecord<'a>>,
    /// Article-level facts (people counts, periods, states).
    pub facts: Vec<MentionRecord<'a>>,
}

/// Where the text came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceInfo {
    /// Input path as given (or "-" for stdin).
    pub path: String,
    /// Raw size in bytes.
    pub bytes: u64,
    /// SHA-256 of the raw input.
    pub sha256: String,
}

/// Header facts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArticleInfo {
    /// Title line.
    pub title: Option<String>,
    /// Byline author.
    pub author: Option<String>,
    /// Byline date, ISO 8601 when it normalizes, else as written.
    pub published: Option<String>,
}

/// One person.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubjectRecord {
    /// "s1", "s2"... in order of first mention.
    pub id: String,
    /// Name as written.
    pub name: Option<String>,
    /// Age in years.
    pub age: Option<i64>,
    /// "male" / "female".
    pub sex: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub nationality: Option<String>,
    /// Stated number of arrests.
    pub arrests: Option<i64>,
    /// One per (NIBRS code, phase).
    pub charges: Vec<ChargeRecord>,
    /// "declined" / "honored" / "lodged".
    pub detainer: Option<String>,
    /// The spans and rules behind every field value.
    pub evidence: Vec<Evidence>,
}

/// One charge.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChargeRecord {
    /// NIBRS code.
    pub nibrs: String,
    /// The code's offence name.
    pub offense: Option<String>,
    /// The first phrase that named it, as written.
    pub text: String,
    /// "prior" or "later".
    pub phase: String,
    /// How many mentions of this (code, phase) the subject has.
    pub times: usize,
}

/// Provenance of one field value.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evidence {
    /// Output field name ("age", "charges", ...).
    pub field: String,
    /// Byte offset in the document text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// Rule id.
    pub rule: String,
}

/// One mention.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MentionRecord<'a> {
    /// Field name.
    pub field: &'static str,
    /// Normalized value.
    pub value: Value,
    /// The span's text.
    pub text: &'a str,
    /// Byte offset in the document text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// Rule id.
    pub rule: &'a str,
}

impl<'a> Record<'a> {
    /// Builds the record of one extraction.
    pub fn build(pack: &'a Pack, doc: &'a Document, extraction: &Extraction) -> Record<'a> {
        let mention = |i: usize| mention_record(pack, doc, &extraction.mentions[i]);
        let subjects = extraction
            .assembly
            .subjects
            .iter()
            .enumerate()
            .map(|(k, s)| subject_record(pack, doc, &extraction.mentions, k, s))
            .collect();
        let mentions = (0..extraction.mentions.len()).map(mention).collect();
        let facts = extraction
            .assembly
            .facts
            .iter()
            .map(|&i| mention(i))
            .collect();
        Record {
            id: doc.id.clone(),
            source: SourceInfo {
                path: doc.path.clone(),
                bytes: doc.bytes,
                sha256: doc.sha256.clone(),
            },
            article: ArticleInfo {
                title: doc.meta.title.clone(),
                author: doc.meta.author.clone(),
                published: extraction.published.clone(),
            },
            subjects,
            mentions,
            facts,
        }
    }
}

fn mention_record<'a>(pack: &'a Pack, doc: &'a Document, m: &Mention) -> MentionRecord<'a> {
    MentionRecord {
        field: m.field.as_str(),
        value: m.value.clone(),
        text: &doc.text[m.start..m.end],
        start: m.start,
        end: m.end,
        rule: &pack.rules[m.rule].id,
    }
}

fn subject_record(
    pack: &Pack,
    doc: &Document,
    mentions: &[Mention],
    k: usize,
    s: &Subject,
) -> SubjectRecord {
    let text_of = |i: usize| squeeze(&doc.text[mentions[i].start..mentions[i].end]);
    let label = pack
        .labels
        .get(&Field::Charge)
        .and_then(|name| pack.lexicons.get(name));
    let charges = s
        .charges
        .iter()
        .map(|c| ChargeRecord {
            nibrs: c.code.clone(),
            offense: label.and_then(|l| l.label(&c.code)).map(str::to_string),
            text: text_of(c.mentions[0]),
            phase: c.phase.as_str().to_string(),
            times: c.mentions.len(),
        })
        .collect();
    let mut evidence: Vec<Evidence> = s
        .mentions
        .iter()
        .filter(|&&i| contributes(s, &mentions[i], i))
        .map(|&i| {
            let m = &mentions[i];
            let field = if m.field == Field::Charge {
                "charges"
            } else {
                m.field.as_str()
            };
            Evidence {
                field: field.to_string(),
                start: m.start,
                end: m.end,
                rule: pack.rules[m.rule].id.clone(),
            }
        })
        .collect();
    evidence.sort_by(|a, b| {
        (field_rank(&a.field), a.start, a.end).cmp(&(field_rank(&b.field), b.start, b.end))
    });
    let str_of = |slot: &Option<crate::assemble::Slot>| {
        slot.as_ref()
            .and_then(|s| s.value.as_str())
            .map(str::to_string)
    };
    let int_of =
        |slot: &Option<crate::assemble::Slot>| slot.as_ref().and_then(|s| s.value.as_int());
    SubjectRecord {
        id: format!("s{}", k + 1),
        name: str_of(&s.name),
        age: int_of(&s.age),
        sex: str_of(&s.sex),
        nationality: str_of(&s.nationality),
        arrests: int_of(&s.arrests),
        charges,
        detainer: str_of(&s.detainer),
        evidence,
    }
}

/// Evidence lists the mentions whose value the subject holds: for a
/// single-valued field every mention that agrees with the held value.
fn contributes(s: &Subject, m: &Mention, _index: usize) -> bool {
    match m.field {
        Field::Charge => true,
        Field::Person | Field::Ref => false,
        field => s.slot(field).is_some_and(|slot| slot.value == m.value),
    }
}

/// The subject fields holding one value (all but charges), in record order.
pub const SINGLE_VALUED_FIELDS: [Field; 6] = [
    Field::Name,
    Field::Age,
    Field::Sex,
    Field::Nationality,
    Field::Arrests,
    Field::Detainer,
];

/// Subject fields in record order (evidence is sorted by it; diffs report by it).
pub const SUBJECT_FIELDS: [&str; 7] = [
    "name",
    "age",
    "sex",
    "nationality",
    "arrests",
    "charges",
    "detainer",
];

fn field_rank(field: &str) -> usize {
    SUBJECT_FIELDS
        .iter()
        .position(|f| *f == field)
        .unwrap_or(usize::MAX)
}

/// The reason a mention is not part of any subject, for explain views.
pub fn fate_label(fate: &Fate) -> String {
    match fate {
        Fate::Subject(k) => format!("s{}", k + 1),
        Fate::Fact => "fact".to_string(),
        Fate::Cue => "cue".to_string(),
        Fate::Unattached(reason) => format!("unattached: {reason}"),
    }
}
