//! Assembly: mentions -> subjects (one per person described) and article facts.
//!
//! In: the sorted mentions of one document and the pack's assembly settings.
//! Out: an [`Assembly`]: the subjects, the fact mentions, and for every
//! mention its [`Fate`] (which subject took it, or why none did), so that
//! `explain` can show the reasoning and nothing is silently lost.
//!
//! The model is a focus that moves through the text in order. Descriptors
//! (age, nationality, name, a person phrase) open a new subject unless they
//! complete the description of the subject in focus (same sentence, close
//! by, field still empty). Attributes (sex, arrests, charges, detainer) and
//! references ("that same individual") go to the subject in focus while it
//! is recent (within `window` sentences), or for the whole document when the
//! subject was opened by a document-anchoring rule (report field blocks).

use crate::mention::{Field, Mention, Value};
use crate::rules::{Pack, Scope};

/// When the charge happened relative to the person's release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before, or not said.
    Prior,
    /// After release: a re-offence.
    Later,
}

impl Phase {
    /// "prior" or "later".
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prior => "prior",
            Phase::Later => "later",
        }
    }
}

/// A value held by a subject and the mention it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The value.
    pub value: Value,
    /// Index of the mention that set it.
    pub mention: usize,
    /// The priority of the rule that set it.
    pub priority: i32,
}

/// One charge of a subject: a NIBRS code in a phase, with every mention of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The code.
    pub code: String,
    /// Prior or later.
    pub phase: Phase,
    /// Mentions of this (code, phase), first one first.
    pub mentions: Vec<usize>,
}

/// One person.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    /// Name as written.
    pub name: Option<Slot>,
    /// Age in years.
    pub age: Option<Slot>,
    /// male / female.
    pub sex: Option<Slot>,
    /// ISO 3166-1 alpha-2.
    pub nationality: Option<Slot>,
    /// Stated number of arrests.
    pub arrests: Option<Slot>,
    /// declined / honored / lodged.
    pub detainer: Option<Slot>,
    /// Charges in order of first mention.
    pub charges: Vec<Charge>,
    /// Every mention attached, in order.
    pub mentions: Vec<usize>,
    anchored: bool,
    last_sentence: usize,
    last_descriptor: Option<(usize, usize)>,
}

impl Subject {
    fn slot_mut(&mut self, field: Field) -> Option<&mut Option<Slot>> {
        Some(match field {
            Field::Name => &mut self.name,
            Field::Age => &mut self.age,
            Field::Sex => &mut self.sex,
            Field::Nationality => &mut self.nationality,
            Field::Arrests => &mut self.arrests,
            Field::Detainer => &mut self.detainer,
            _ => return None,
        })
    }

    /// The slot of a single-valued field.
    pub fn slot(&self, field: Field) -> Option<&Slot> {
        match field {
            Field::Name => self.name.as_ref(),
            Field::Age => self.age.as_ref(),
            Field::Sex => self.sex.as_ref(),
            Field::Nationality => self.nationality.as_ref(),
            Field::Arrests => self.arrests.as_ref(),
            Field::Detainer => self.detainer.as_ref(),
            _ => None,
        }
    }

    /// A subject worth reporting describes the person with at least one fact
    /// (age, nationality, arrest count or charge), as the gold format requires.
    pub fn is_described(&self) -> bool {
        self.age.is_some()
            || self.nationality.is_some()
            || self.arrests.is_some()
            || !self.charges.is_empty()
    }
}

/// What happened to a mention during assembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Attached to the subject with this index (in [`Assembly::subjects`]).
    Subject(usize),
    /// An article-level fact.
    Fact,
    /// A cue that steered assembly (phase, reference, veto).
    Cue,
    /// Not used, and why.
    Unattached(String),
}

/// The result of assembling one document.
#[derive(Debug, Clone, Default)]
pub struct Assembly {
    /// Reported subjects, in order of first mention.
    pub subjects: Vec<Subject>,
    /// Indexes of fact mentions.
    pub facts: Vec<usize>,
    /// One fate per mention.
    pub fates: Vec<Fate>,
}

/// Assembles `mentions` (sorted by start) into subjects.
pub fn assemble(pack: &Pack, mentions: &[Mention]) -> Assembly {
    let mut state = State {
        pack,
        mentions,
        subjects: Vec::new(),
        focus: None,
        fates: vec![Fate::Cue; mentions.len()],
        facts: Vec::new(),
        ref_span: None,
    };
    for (i, m) in mentions.iter().enumerate() {
        state.take(i, m);
    }
    state.finish()
}

struct State<'a> {
    pack: &'a Pack,
    mentions: &'a [Mention],
    subjects: Vec<Subject>,
    focus: Option<usize>,
    fates: Vec<Fate>,
    facts: Vec<usize>,
    /// The span of the latest reference that refocused a subject: a descriptor
    /// inside it ("the 30-year-old") names that subject instead of a new one.
    ref_span: Option<(usize, usize)>,
}

impl State<'_> {
    fn take(&mut self, i: usize, m: &Mention) {
        match m.field {
            Field::People | Field::Period | Field::State => {
                self.facts.push(i);
                self.fates[i] = Fate::Fact;
            }
            Field::Phase | Field::Veto => self.fates[i] = Fate::Cue,
            Field::Ref => self.refer(i, m),
            Field::Age | Field::Nationality | Field::Name | Field::Person => self.describe(i, m),
            Field::Sex | Field::Arrests | Field::Charge | Field::Detainer => self.attribute(i, m),
        }
    }

    fn recent_focus(&self, sentence: usize) -> Option<usize> {
        let f = self.focus?;
        let s = &self.subjects[f];
        (s.anchored || sentence.saturating_sub(s.last_sentence) <= self.pack.assembly.window)
            .then_some(f)
    }

    fn refer(&mut self, i: usize, m: &Mention) {
        // A reference carrying a value ("the 30-year-old", a surname) refocuses
        // the latest subject with that value; a bare one keeps the focus alive.
        let target = match &m.value {
            Value::Int(age) => {
                self.latest_with(|s| s.age.as_ref().is_some_and(|a| a.value == Value::Int(*age)))
            }
            Value::Str(name) if !name.is_empty() && name != "focus" => self.latest_named(name),
            _ => self.recent_focus(m.sentence),
        };
        match target {
            Some(f) => {
                self.focus = Some(f);
                self.ref_span = Some((m.start, m.end));
                self.attach(f, i, m);
                self.fates[i] = Fate::Cue;
            }
            None => self.fates[i] = Fate::Unattached("reference with no subject in focus".into()),
        }
    }

    fn latest_with(&self, pred: impl Fn(&Subject) -> bool) -> Option<usize> {
        (0..self.subjects.len())
            .rev()
            .find(|&k| pred(&self.subjects[k]))
    }

    fn latest_named(&self, name: &str) -> Option<usize> {
        self.latest_with(|s| {
            s.name
                .as_ref()
                .and_then(|n| n.value.as_str())
                .is_some_and(|n| names_match(n, name))
        })
    }

    fn describe(&mut self, i: usize, m: &Mention) {
        if let Some(f) = self.inside_reference(m) {
            self.attach(f, i, m);
            return;
        }
        if m.field == Field::Name {
            if let Some(value) = m.value.as_str() {
                if let Some(f) = self.latest_named(value) {
                    self.focus = Some(f);
                    self.attach(f, i, m);
                    return;
                }
            }
        }
        if let Some(f) = self.completes(m) {
            self.attach(f, i, m);
            return;
        }
        let anchored = self.pack.rules[m.rule].anchors_document;
        self.subjects.push(Subject {
            anchored,
            last_sentence: m.sentence,
            ..Subject::default()
        });
        let f = self.subjects.len() - 1;
        self.focus = Some(f);
        self.attach(f, i, m);
    }

    fn inside_reference(&self, m: &Mention) -> Option<usize> {
        let (start, end) = self.ref_span?;
        let f = self.focus?;
        (m.start >= start && m.end <= end).then_some(f)
    }

    /// The subject in focus, when `m` continues its description.
    fn completes(&self, m: &Mention) -> Option<usize> {
        let f = self.focus?;
        let s = &self.subjects[f];
        let (sentence, end) = s.last_descriptor?;
        let near = sentence == m.sentence
            && m.start.saturating_sub(end) <= self.pack.assembly.complete_within;
        let anchored_block = s.anchored && self.pack.rules[m.rule].anchors_document;
        if !(near || anchored_block) {
            return None;
        }
        let free = match m.field {
            Field::Person => true,
            field => s.slot(field).is_none_or(|slot| slot.value == m.value),
        };
        free.then_some(f)
    }

    fn attribute(&mut self, i: usize, m: &Mention) {
        match self.recent_focus(m.sentence) {
            Some(f) => self.attach(f, i, m),
            None => {
                let reason = if self.focus.is_some() {
                    "too far from the subject in focus"
                } else {
                    "no subject open"
                };
                self.fates[i] = Fate::Unattached(reason.into());
            }
        }
    }

    fn attach(&mut self, f: usize, i: usize, m: &Mention) {
        let priority = self.pack.rules[m.rule].priority;
        let phase = self.phase_of(m);
        let subject = &mut self.subjects[f];
        subject.mentions.push(i);
        subject.last_sentence = subject.last_sentence.max(m.sentence);
        if matches!(
            m.field,
            Field::Age | Field::Nationality | Field::Name | Field::Person
        ) {
            subject.last_descriptor = Some((m.sentence, m.end));
        }
        self.fates[i] = Fate::Subject(f);
        if m.field == Field::Charge {
            let Some(code) = m.value.as_str() else { return };
            match subject
                .charges
                .iter_mut()
                .find(|c| c.code == code && c.phase == phase)
            {
                Some(charge) => charge.mentions.push(i),
                None => subject.charges.push(Charge {
                    code: code.to_string(),
                    phase,
                    mentions: vec![i],
                }),
            }
            return;
        }
        let Some(slot) = subject.slot_mut(m.field) else {
            return;
        };
        let replace = slot.as_ref().is_none_or(|s| priority > s.priority);
        if replace {
            *slot = Some(Slot {
                value: m.value.clone(),
                mention: i,
                priority,
            });
        }
    }

    /// A charge is "later" when a phase cue governs it: a cue earlier in its
    /// sentence, or a sentence-wide cue anywhere in its sentence.
    fn phase_of(&self, m: &Mention) -> Phase {
        if m.field != Field::Charge {
            return Phase::Prior;
        }
        let later = self.mentions.iter().any(|cue| {
            cue.field == Field::Phase
                && cue.sentence == m.sentence
                && match self.pack.rules[cue.rule].scope {
                    Scope::Sentence => true,
                    Scope::Following => cue.start < m.start,
                }
        });
        if later {
            Phase::Later
        } else {
            Phase::Prior
        }
    }

    fn finish(mut self) -> Assembly {
        let keep: Vec<bool> = self.subjects.iter().map(Subject::is_described).collect();
        let mut renumber = vec![None; self.subjects.len()];
        let mut next = 0;
        for (old, &k) in keep.iter().enumerate() {
            if k {
                renumber[old] = Some(next);
                next += 1;
            }
        }
        for fate in &mut self.fates {
            if let Fate::Subject(old) = fate {
                *fate = match renumber[*old] {
                    Some(new) => Fate::Subject(new),
                    None => Fate::Unattached(
                        "its subject has no age, nationality, arrest count or charge".into(),
                    ),
                };
            }
        }
        let subjects = self
            .subjects
            .into_iter()
            .zip(keep)
            .filter_map(|(s, k)| k.then_some(s))
            .collect();
        Assembly {
            subjects,
            facts: self.facts,
            fates: self.fates,
        }
    }
}

/// Two ways of writing a person's name refer to the same person when one is
/// a whole-word part of the other ("Juan Perez-Lopez" and "Perez-Lopez").
fn names_match(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                    .to_lowercase()
            })
            .collect::<Vec<_>>()
    };
    let (wa, wb) = (words(a), words(b));
    let (short, long) = if wa.len() <= wb.len() {
        (&wa, &wb)
    } else {
        (&wb, &wa)
    };
    !short.is_empty() && short.iter().all(|w| long.contains(w))
}

#[cfg(test)]
mod tests {
    use super::names_match;

    #[test]
    fn surnames_match_full_names() {
        assert!(names_match("Juan Perez-Lopez", "Perez-Lopez"));
        assert!(!names_match("Juan Perez-Lopez", "Perez"));
        assert!(!names_match("Ana Ruiz", "Luis Ortega"));
    }
}
