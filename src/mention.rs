//! The data that flows between stages: [`Field`]s, normalized [`Value`]s and
//! [`Mention`]s (one value found in the text by one rule, with its span).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a rule's match says. Subject fields become record fields; cue fields
/// steer assembly; fact fields describe the article as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// A person's name as written.
    Name,
    /// Age in whole years.
    Age,
    /// "male" or "female".
    Sex,
    /// ISO 3166-1 alpha-2 code.
    Nationality,
    /// A stated number of arrests.
    Arrests,
    /// An offence, normalized to a NIBRS code.
    Charge,
    /// Detainer status: declined, honored or lodged.
    Detainer,
    /// A phrase that introduces a person without describing them ("an illegal alien").
    Person,
    /// A phrase that refers back to the person in focus ("that same individual", "he").
    Ref,
    /// A cue that later charges happened after release ("would later be").
    Phase,
    /// A span in which mentions of the listed fields are cancelled (false friends).
    Veto,
    /// Article fact: a number of people ("15 individuals").
    People,
    /// Article fact: a period of time, ISO 8601 interval.
    Period,
    /// Article fact: a US state named, ISO 3166-2.
    State,
}

impl Field {
    /// Every field, in output order.
    pub const ALL: [Field; 14] = [
        Field::Name,
        Field::Age,
        Field::Sex,
        Field::Nationality,
        Field::Arrests,
        Field::Charge,
        Field::Detainer,
        Field::Person,
        Field::Ref,
        Field::Phase,
        Field::Veto,
        Field::People,
        Field::Period,
        Field::State,
    ];

    /// The field's name in rule files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Age => "age",
            Field::Sex => "sex",
            Field::Nationality => "nationality",
            Field::Arrests => "arrests",
            Field::Charge => "charge",
            Field::Detainer => "detainer",
            Field::Person => "person",
            Field::Ref => "ref",
            Field::Phase => "phase",
            Field::Veto => "veto",
            Field::People => "people",
            Field::Period => "period",
            Field::State => "state",
        }
    }

    /// Parses a field name as written in a rule file.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Facts describe the article, not a person.
    pub fn is_fact(self) -> bool {
        matches!(self, Field::People | Field::Period | Field::State)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalized value: a whole number or a string (code, label or text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Ages, counts.
    Int(i64),
    /// Codes and texts.
    Str(String),
}

impl Value {
    /// The string inside, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Int(_) => None,
        }
    }

    /// The integer inside, if this is an integer value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Str(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// One value found in the text by one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// What the value is.
    pub field: Field,
    /// The normalized value.
    pub value: Value,
    /// Byte offset of the span in the document text.
    pub start: usize,
    /// End of the span (exclusive).
    pub end: usize,
    /// Index of the rule in the pack.
    pub rule: usize,
    /// Index of the sentence the match lies in.
    pub sentence: usize,
}
