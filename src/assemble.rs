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
//!
//! Refinements, each for a phrasing family of the corpus:
//! - reports: a stale focus, an unknown name or a bare person noun falls back
//!   to the field block's subject; charges dated after its first release
//!   (dated phase cues) are "later";
//! - a charge or detainer met before anyone in its sentence waits for the
//!   person the sentence goes on to describe ("... leads to charges against
//!   19-year-old"); a group ("3 teens") takes what follows it;
//! - people introduced together ("two brothers, 24 and 27") share what the
//!   sentence then says; a person described after an offence (the victim) is
//!   an aside, and what follows is the subject's again;
//! - negative rule priority marks supporting evidence that only upgrades an
//!   existing value (a hand-over to ICE turns a lodged detainer honored);
//! - an unnamed person described again with the same facts is merged.

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
    /// Supporting values (from negative-priority rules) waiting for a value
    /// of their field to confirm; see [`State::support`].
    support: Vec<(Field, Slot)>,
    anchored: bool,
    last_sentence: usize,
    last_descriptor: Option<(usize, usize)>,
    /// Start of the latest charge mention attached: kept so that "was a
    /// charge given after the description" is one comparison, not a scan.
    last_charge_start: Option<usize>,
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
        first_anchored: None,
        focus: None,
        fates: vec![Fate::Cue; mentions.len()],
        facts: Vec::new(),
        ref_span: None,
        pending: Vec::new(),
        pending_focus: None,
        group: Vec::new(),
        group_closed: false,
        group_end: 0,
        aside: None,
        group_stage: None,
        first_release: first_release(pack, mentions),
    };
    for i in reading_order(mentions) {
        state.take(i, &mentions[i]);
    }
    state.flush_pending();
    state.finish()
}

struct State<'a> {
    pack: &'a Pack,
    mentions: &'a [Mention],
    subjects: Vec<Subject>,
    /// The first subject a document-anchoring rule introduced (see
    /// [`State::anchor`]): kept, not looked for, as a document of
    /// thousands of subjects asked for it at nearly every mention.
    first_anchored: Option<usize>,
    focus: Option<usize>,
    fates: Vec<Fate>,
    facts: Vec<usize>,
    /// The span of the latest reference that refocused a subject: a descriptor
    /// inside it ("the 30-year-old") names that subject instead of a new one.
    ref_span: Option<(usize, usize)>,
    /// Charges met in a sentence before anyone in it was described, waiting
    /// for that sentence's subject: in "armed robbery leads to charges
    /// against 19-year-old" the charge is the teenager's, not the focus's.
    pending: Vec<usize>,
    /// The subject in focus when the first charge started waiting.
    pending_focus: Option<usize>,
    /// People introduced one after another in one sentence with nothing
    /// said about any of them yet ("two brothers, 24 and 27", "Ruiz, 22,
    /// and Vega, 19"): what the sentence then says, it says of them all.
    group: Vec<usize>,
    /// Whether an attribute has been attached since the group's latest member.
    group_closed: bool,
    /// Where the latest mention given to the group ends: the group holds
    /// only while what follows stays close (`complete_within` bytes).
    group_end: usize,
    /// (the sentence's subject, a person introduced later in that sentence,
    /// the sentence): in "convicted of raping a 14-year-old girl, and of
    /// burglary" the girl is described, but the burglary is still his.
    aside: Option<(usize, usize, usize)>,
    /// The sentence in which a group took the stage (and nobody since).
    group_stage: Option<usize>,
    /// The earliest release date of the document (dated phase cues).
    first_release: Option<&'a str>,
}

impl<'a> State<'a> {
    fn take(&mut self, i: usize, m: &Mention) {
        if self.pending_sentence().is_some_and(|s| s != m.sentence) {
            self.flush_pending();
        }
        self.end_aside(m.sentence);
        match m.field {
            Field::People | Field::Period | Field::State => {
                // People spoken of in general ("people arrested for ...") have
                // no count: they steer assembly but are no fact to report.
                if m.field == Field::People && m.value.as_int().is_none() {
                    self.fates[i] = Fate::Cue;
                } else {
                    self.facts.push(i);
                    self.fates[i] = Fate::Fact;
                }
                // A group ("five gang members") takes the stage: what follows is
                // said of the group, not of the last person described.
                if m.field == Field::People && !self.focus_in(m.sentence) {
                    self.focus = None;
                    self.group_stage = Some(m.sentence);
                }
            }
            Field::Phase | Field::Veto => self.fates[i] = Fate::Cue,
            Field::Ref => self.refer(i, m),
            Field::Age | Field::Nationality | Field::Name | Field::Person => self.describe(i, m),
            Field::Sex | Field::Arrests | Field::Charge | Field::Detainer => self.attribute(i, m),
        }
    }

    fn recent_focus(&self, sentence: usize) -> Option<usize> {
        let recent = self.focus.filter(|&f| {
            let s = &self.subjects[f];
            s.anchored || sentence.saturating_sub(s.last_sentence) <= self.pack.assembly.window
        });
        recent.or_else(|| self.anchor())
    }

    /// A report's subject before any name was given to it: field blocks carry
    /// no name, so the first name the narrative gives is that subject's.
    fn unnamed_anchor(&self) -> Option<usize> {
        self.anchor().filter(|&f| self.subjects[f].name.is_none())
    }

    /// The subject of a report's field block: in such a document a stale
    /// focus (a passing "an alien convicted of...") falls back to it.
    fn anchor(&self) -> Option<usize> {
        self.first_anchored
    }

    fn refer(&mut self, i: usize, m: &Mention) {
        // A reference carrying a value ("the 30-year-old", a surname) refocuses
        // the latest subject with that value; a bare one keeps the focus alive.
        let target = match &m.value {
            Value::Int(age) => {
                self.latest_with(|s| s.age.as_ref().is_some_and(|a| a.value == Value::Int(*age)))
            }
            // An unknown name in a report is its subject's (field blocks carry no name).
            Value::Str(name) if !name.is_empty() && name != "focus" => {
                self.latest_named(name).or_else(|| self.anchor())
            }
            _ => self.recent_focus(m.sentence),
        };
        match target {
            Some(f) => {
                self.focus = Some(f);
                self.group.clear();
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
                if let Some(f) = self.latest_named(value).or_else(|| self.unnamed_anchor()) {
                    self.focus = Some(f);
                    self.group.clear();
                    self.attach(f, i, m);
                    return;
                }
            }
        }
        if let Some(members) = self.group_in(m) {
            if m.field == Field::Nationality {
                self.group_end = m.end;
                for f in members {
                    self.attach_if_free(f, i, m);
                }
                return;
            }
        }
        if let Some(f) = self.completes(m).or_else(|| self.restates_age(m)) {
            self.attach(f, i, m);
            return;
        }
        // In a report about one person, a bare person phrase ("as an alien
        // convicted of...") is that person again, not someone new.
        if m.field == Field::Person {
            if let Some(f) = self.anchor() {
                self.attach(f, i, m);
                return;
            }
        }
        let anchored = self.pack.rules[m.rule].anchors_document;
        self.subjects.push(Subject {
            anchored,
            last_sentence: m.sentence,
            ..Subject::default()
        });
        let f = self.subjects.len() - 1;
        if anchored {
            self.first_anchored = self.first_anchored.or(Some(f));
        }
        self.open_aside(f, m.sentence);
        self.focus = Some(f);
        self.join_group(f, m.sentence, m.end);
        self.attach(f, i, m);
    }

    /// A person introduced in this sentence after an offence of its subject
    /// ("convicted of raping a 14-year-old girl") is an aside, the victim: it
    /// keeps its own description, but what follows is the subject's again.
    fn open_aside(&mut self, f: usize, sentence: usize) {
        self.aside = self.focus.and_then(|p| {
            let s = &self.subjects[p];
            let offence_told = self.charged_since_described(p);
            (offence_told && !s.anchored && s.last_sentence == sentence).then_some((p, f, sentence))
        });
    }

    /// At a new sentence the focus returns from a bare aside to the subject.
    fn end_aside(&mut self, sentence: usize) {
        if let Some((p, aside, s)) = self.aside {
            if s != sentence {
                if self.focus == Some(aside) && self.is_bare(aside) {
                    self.focus = Some(p);
                }
                self.aside = None;
            }
        }
    }

    /// The sentence's subject, when `m` comes after the aside's description.
    /// A newcomer with a name or nationality ("..., a Mexican national
    /// convicted of...") is a subject of its own in a list, not an aside.
    fn past_aside(&self, m: &Mention) -> Option<usize> {
        let (p, aside, s) = self.aside?;
        let (_, end) = self.subjects[aside].last_descriptor?;
        let here = s == m.sentence && self.focus == Some(aside) && m.start >= end;
        (here && self.is_bare(aside)).then_some(p)
    }

    /// Known by age or a noun only: no name, no nationality.
    fn is_bare(&self, f: usize) -> bool {
        let s = &self.subjects[f];
        s.name.is_none() && s.nationality.is_none()
    }

    /// A new subject joins the group when it follows the previous newcomer
    /// in the same sentence with nothing said in between.
    fn join_group(&mut self, f: usize, sentence: usize, end: usize) {
        let continues = !self.group_closed
            && self
                .group
                .last()
                .is_some_and(|&g| self.subjects[g].last_sentence == sentence);
        if !continues {
            self.group.clear();
        }
        self.group.push(f);
        self.group_closed = false;
        self.group_end = end;
    }

    /// The group `m` speaks of: two people or more, in `m`'s sentence, and
    /// `m` close to what was last said of them.
    fn group_in(&self, m: &Mention) -> Option<Vec<usize>> {
        let last = *self.group.last()?;
        let near = m.start.saturating_sub(self.group_end) <= self.pack.assembly.complete_within;
        (self.group.len() >= 2 && self.subjects[last].last_sentence == m.sentence && near)
            .then(|| self.group.clone())
    }

    /// Attaches a descriptor to `f` unless `f` already has another value.
    fn attach_if_free(&mut self, f: usize, i: usize, m: &Mention) {
        let free = self.subjects[f]
            .slot(m.field)
            .is_none_or(|slot| slot.value == m.value);
        if free {
            self.attach(f, i, m);
        }
    }

    /// The subject a reference just named, when `m` lies inside that
    /// reference ("the 30-year-old") or is a name in apposition right after
    /// it ("the man, Juan Ruiz, ...").
    fn inside_reference(&self, m: &Mention) -> Option<usize> {
        let (start, end) = self.ref_span?;
        let f = self.focus?;
        let inside = m.start >= start && m.end <= end;
        let apposed = m.field == Field::Name
            && self.subjects[f].name.is_none()
            && (end..=end + 2).contains(&m.start);
        (inside || apposed).then_some(f)
    }

    /// The subject in focus, when `m` continues its description.
    fn completes(&self, m: &Mention) -> Option<usize> {
        let f = self.focus?;
        let s = &self.subjects[f];
        let (sentence, end) = s.last_descriptor?;
        let near = sentence == m.sentence
            && m.start.saturating_sub(end) <= self.pack.assembly.complete_within;
        let anchored_block = s.anchored && self.pack.rules[m.rule].anchors_document;
        if !(near || anchored_block) || self.charged_since_described(f) {
            return None;
        }
        // A second person noun well after the first ("a 26-year-old woman
        // was on the train when a career criminal...") is someone else; one
        // right after it ("a national and gang member") is not.
        let free = match m.field {
            Field::Person => !self.has_person(f) || m.start.saturating_sub(end) <= 30,
            field => s.slot(field).is_none_or(|slot| slot.value == m.value),
        };
        free.then_some(f)
    }

    fn has_person(&self, f: usize) -> bool {
        let s = &self.subjects[f];
        s.mentions
            .iter()
            .any(|&i| self.mentions[i].field == Field::Person)
    }

    /// Whether a charge was given to `f` after its latest descriptor: a
    /// description after the offence ("convicted of raping a 14-year-old
    /// girl") is of someone else.
    fn charged_since_described(&self, f: usize) -> bool {
        let s = &self.subjects[f];
        let Some((_, end)) = s.last_descriptor else {
            return false;
        };
        s.last_charge_start.is_some_and(|start| start >= end)
    }

    fn pending_sentence(&self) -> Option<usize> {
        self.pending.first().map(|&i| self.mentions[i].sentence)
    }

    /// A charge or detainer waits when nobody has been described or referred
    /// to yet in its sentence (and the document is not a one-person report).
    fn defers(&self, m: &Mention) -> bool {
        matches!(m.field, Field::Charge | Field::Detainer)
            && self.focus.is_none_or(|f| {
                let s = &self.subjects[f];
                !s.anchored && s.last_sentence < m.sentence
            })
    }

    /// The sentence ended without anyone claiming the waiting charges: they
    /// go to the subject that was in focus when they were met.
    fn flush_pending(&mut self) {
        let mentions = self.mentions;
        let focus = self.pending_focus.take();
        for i in std::mem::take(&mut self.pending) {
            match focus {
                Some(f) => self.attach(f, i, &mentions[i]),
                None => self.fates[i] = Fate::Unattached("no subject open".into()),
            }
        }
    }

    /// A subject was described or referred to in the waiting charges' sentence.
    fn settle_pending(&mut self, f: usize) {
        let mentions = self.mentions;
        self.pending_focus = None;
        for i in std::mem::take(&mut self.pending) {
            self.attach(f, i, &mentions[i]);
        }
    }

    /// Whether the subject in focus was mentioned in this sentence already.
    fn focus_in(&self, sentence: usize) -> bool {
        self.focus
            .is_some_and(|f| self.subjects[f].last_sentence == sentence)
    }

    /// The subject in focus when `m` repeats its age and it is named or was
    /// just referred to ("the man, Ruiz, a 36-year-old" about the 36-year-old;
    /// "at the age of 80, she still works" about Ms. Ruiz, 80): the same
    /// person again. Unnamed people of one age in a list stay apart.
    fn restates_age(&self, m: &Mention) -> Option<usize> {
        let f = self.recent_focus(m.sentence)?;
        let s = &self.subjects[f];
        let age = s.age.as_ref()?;
        let known = s.name.is_some() || s.last_sentence == m.sentence;
        (m.field == Field::Age && known && age.value == m.value).then_some(f)
    }

    fn attribute(&mut self, i: usize, m: &Mention) {
        // "3 teens charged with stealing a 72-year-old man's car": what the
        // sentence says after a group (before anyone else) is the group's.
        if self.focus.is_none() && self.group_stage == Some(m.sentence) {
            self.fates[i] = Fate::Unattached("said of a group".into());
            return;
        }
        if self.defers(m) {
            if self.pending.is_empty() {
                self.pending_focus = self.recent_focus(m.sentence);
            }
            self.pending.push(i);
            return;
        }
        self.attribute_now(i, m);
    }

    fn attribute_now(&mut self, i: usize, m: &Mention) {
        if let Some(members) = self.group_in(m) {
            self.group_closed = true;
            self.group_end = m.end;
            for f in members {
                self.attach(f, i, m);
            }
            return;
        }
        self.group_closed = true;
        if let Some(p) = self.past_aside(m) {
            self.focus = Some(p);
            self.attach(p, i, m);
            return;
        }
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
        let phase = self.phase_of(m, self.subjects[f].anchored);
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
        // Who the waiting charges belong to: the first person the sentence
        // describes, names or refers to ("he", "the 30-year-old"); a bare
        // noun ("another person") is too weak to claim them.
        let settles = matches!(
            m.field,
            Field::Age | Field::Nationality | Field::Name | Field::Ref | Field::Sex
        );
        if settles && self.pending_sentence() == Some(m.sentence) {
            self.settle_pending(f);
        }
        let subject = &mut self.subjects[f];
        if m.field == Field::Charge {
            subject.last_charge_start = subject.last_charge_start.max(Some(m.start));
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
        if priority < 0 {
            subject.support.push((
                m.field,
                Slot {
                    value: m.value.clone(),
                    mention: i,
                    priority: -priority,
                },
            ));
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
    /// sentence, or a sentence-wide cue anywhere in its sentence; or, in a
    /// one-person report, when it is dated after the person's first release.
    fn phase_of(&self, m: &Mention, report: bool) -> Phase {
        if m.field != Field::Charge {
            return Phase::Prior;
        }
        let later = self.in_sentence(m.sentence).iter().any(|cue| {
            cue.field == Field::Phase
                && cue_date(cue).is_none()
                && match self.pack.rules[cue.rule].scope {
                    Scope::Sentence => true,
                    Scope::Following => cue.start < m.start,
                }
        });
        if later || (report && self.dated_after_release(m)) {
            Phase::Later
        } else {
            Phase::Prior
        }
    }

    /// Dated cues: a sentence-wide one dates a release from custody; a
    /// following one dates what comes after it in its sentence.
    fn dated_after_release(&self, m: &Mention) -> bool {
        let Some(released) = self.first_release else {
            return false;
        };
        let dated = self
            .in_sentence(m.sentence)
            .iter()
            .filter(|c| c.start < m.start)
            .filter(|c| self.pack.rules[c.rule].scope == Scope::Following)
            .filter_map(cue_date)
            .next_back();
        dated.is_some_and(|d| d > released)
    }

    /// The mentions of one sentence (mentions are sorted by position, so
    /// their sentences never decrease): phase lookups stay linear overall.
    fn in_sentence(&self, sentence: usize) -> &'a [Mention] {
        let mentions = self.mentions;
        let lo = mentions.partition_point(|c| c.sentence < sentence);
        let hi = mentions.partition_point(|c| c.sentence <= sentence);
        &mentions[lo..hi]
    }

    /// A rule with a negative priority gives supporting evidence only: its
    /// value never stands alone (a hand-over to immigration custody says
    /// nothing about a detainer that was never mentioned), but it replaces a
    /// value of the same field set by a weaker rule (|priority| higher), so a
    /// lodged detainer followed by a hand-over becomes honored.
    fn support(subject: &mut Subject) {
        for (field, support) in std::mem::take(&mut subject.support) {
            let Some(slot) = subject.slot_mut(field) else {
                continue;
            };
            if slot.as_ref().is_some_and(|s| support.priority > s.priority) {
                *slot = Some(support);
            }
        }
    }

    /// A victim known only by age (and sex), "a 10-year-old girl", described
    /// again later is the same person, not a second victim of that age.
    /// (People with charges or a nationality stay apart even when described
    /// alike: a list may well name two such people.)
    fn merge_repeated_victims(&mut self) {
        let mut first_of_age: std::collections::HashMap<String, usize> = Default::default();
        for later in 0..self.subjects.len() {
            let b = &self.subjects[later];
            let Some(age) = b.age.as_ref().filter(|_| is_victim(b)) else {
                continue;
            };
            let key = age.value.to_string();
            let Some(&first) = first_of_age.get(&key) else {
                first_of_age.insert(key, later);
                continue;
            };
            if !compatible(&self.subjects[first].sex, &b.sex) {
                continue;
            }
            let moved = std::mem::take(&mut self.subjects[later]);
            let a = &mut self.subjects[first];
            a.sex = a.sex.take().or(moved.sex);
            a.mentions.extend(moved.mentions);
            for fate in &mut self.fates {
                if *fate == Fate::Subject(later) {
                    *fate = Fate::Subject(first);
                }
            }
        }
    }

    fn finish(mut self) -> Assembly {
        self.subjects.iter_mut().for_each(State::support);
        self.merge_repeated_victims();
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

/// Mentions in text order, but at one span the person comes before what is
/// said about them: "man" as a person noun opens the new subject before
/// "man" as a sex cue attaches to whoever is in focus.
fn reading_order(mentions: &[Mention]) -> Vec<usize> {
    let describes = |m: &Mention| {
        matches!(
            m.field,
            Field::Age | Field::Nationality | Field::Name | Field::Person | Field::Ref
        )
    };
    let mut order: Vec<usize> = (0..mentions.len()).collect();
    order.sort_by_key(|&i| {
        let m = &mentions[i];
        (m.start, m.end, !describes(m))
    });
    order
}

/// The earliest date of a sentence-wide dated phase cue: a release.
fn first_release<'a>(pack: &Pack, mentions: &'a [Mention]) -> Option<&'a str> {
    mentions
        .iter()
        .filter(|c| pack.rules[c.rule].scope == Scope::Sentence)
        .filter_map(cue_date)
        .min()
}

/// The ISO date ("2019-04-29") a phase cue carries, if it is a dated cue.
fn cue_date(cue: &Mention) -> Option<&str> {
    let v = cue.value.as_str().filter(|_| cue.field == Field::Phase)?;
    let b = v.as_bytes();
    let iso = b.len() >= 7 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    iso.then_some(v)
}

/// Known only by age and sex: no name, nationality, arrests, detainer or charge.
fn is_victim(s: &Subject) -> bool {
    s.name.is_none()
        && s.nationality.is_none()
        && s.arrests.is_none()
        && s.detainer.is_none()
        && s.charges.is_empty()
}

fn compatible(a: &Option<Slot>, b: &Option<Slot>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.value == y.value,
        _ => true,
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
    use crate::rules::{Pack, PackFiles};
    use crate::{Document, Extractor};

    /// A small pack: a report field block, a person noun, a surname
    /// reference, a charge, a detainer and a supporting hand-over cue.
    fn pack() -> Pack {
        let manifest = r#"
[pack]
name = "test"
[segment]
abbreviations = ["Mr."]
[lexicons.OFFENCE]
file = "offences.tsv"
[lexicons.MONTH]
file = "months.tsv"
case_sensitive = true
"#;
        let rules = r#"
[[rule]]
id = "age.field"
field = "age"
pattern = '^Age:\s(?P<value>\d+)'
normalize = "number"
anchors_document = true
[[rule]]
id = "age.year-old"
field = "age"
pattern = '(?P<value>\d+)-year-old'
normalize = "number"
[[rule]]
id = "sex.girl"
field = "sex"
pattern = '\bgirl\b'
normalize = "const"
value = "female"
[[rule]]
id = "phase.release"
field = "phase"
pattern = '^On\s(?P<value>May\s\d+,\s\d{4}),\sICE\sreleased\shim\son\sbond'
normalize = "date"
scope = "sentence"
[[rule]]
id = "phase.event"
field = "phase"
pattern = '^On\s(?P<value>(?:May|June)\s\d+,\s\d{4})'
normalize = "date"
[[rule]]
id = "ref.man"
field = "ref"
pattern = '\bthe\sman\b'
normalize = "const"
value = "focus"
[[rule]]
id = "people"
field = "people"
pattern = '(?P<value>\d+)\steens'
normalize = "number"
[[rule]]
id = "person.girl"
field = "person"
pattern = '\ba\s(?P<value>girl)\b'
[[rule]]
id = "person.alien"
field = "person"
pattern = '\ban\salien\b'
[[rule]]
id = "name.verb"
field = "name"
pattern = '(?P<value>[A-Z][a-z]+\s[A-Z]+)\swas\sarrested'
[[rule]]
id = "ref.title"
field = "ref"
pattern = '\bMr\.\s(?P<value>[A-Z]+)'
[[rule]]
id = "charge"
field = "charge"
pattern = 'convicted\s(?P<value>.+)'
each = "OFFENCE"
normalize = "lexicon:OFFENCE"
[[rule]]
id = "detainer.lodged"
field = "detainer"
pattern = '\bdetainer\b'
normalize = "const"
value = "lodged"
priority = 1
[[rule]]
id = "detainer.handover"
field = "detainer"
pattern = '\breleased\s\w+\sto\sICE\b'
normalize = "const"
value = "honored"
priority = -2
"#;
        let mut files = PackFiles::default();
        files.files.insert("pack.toml".into(), manifest.into());
        files.files.insert("rules.toml".into(), rules.into());
        files
            .files
            .insert("offences.tsv".into(), "220\tburglary\n".into());
        files
            .files
            .insert("months.tsv".into(), "5\tMay\n6\tJune\n".into());
        Pack::from_files(&files).unwrap()
    }

    fn subjects(text: &str) -> Vec<super::Subject> {
        let text = format!("Death Report\n\n{text}");
        let doc = Document::from_bytes("t", "t.txt", text.as_bytes());
        Extractor::new(pack()).extract(&doc).assembly.subjects
    }

    #[test]
    fn support_upgrades_an_existing_value_only() {
        let with = subjects("Age: 40\n\nICE lodged a detainer. The jail released him to ICE.");
        assert_eq!(
            with[0].detainer.as_ref().unwrap().value.as_str(),
            Some("honored")
        );
        let without = subjects("Age: 40\n\nThe jail released him to ICE.");
        assert!(without[0].detainer.is_none());
    }

    #[test]
    fn report_subject_keeps_attributes_after_a_passing_person() {
        let text = "Age: 40\n\nHe was removed as an alien. Then nothing. Then more. \
                    And more. A court convicted Mr. ROE of burglary.";
        let s = subjects(text);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].charges[0].code, "220");
    }

    #[test]
    fn a_charge_before_its_person_waits_for_that_person() {
        let s = subjects(
            "A 30-year-old was held. Later. Burglary: convicted burglary of a 19-year-old.",
        );
        assert_eq!(s.len(), 2);
        assert!(s[0].charges.is_empty());
        assert_eq!(s[1].charges[0].code, "220");
    }

    #[test]
    fn a_waiting_charge_without_a_new_person_goes_to_the_focus() {
        let s = subjects("A 30-year-old was held. Then he was convicted burglary.");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].charges[0].code, "220");
    }

    #[test]
    fn people_introduced_together_share_what_follows() {
        let s = subjects("A 24-year-old and a 27-year-old were convicted burglary.");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].charges[0].code, "220");
        assert_eq!(s[1].charges[0].code, "220");
    }

    #[test]
    fn what_follows_a_group_is_the_groups() {
        let s = subjects(
            "A 30-year-old was held. Later 3 teens were convicted burglary of a 72-year-old.",
        );
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|s| s.charges.is_empty()));
    }

    #[test]
    fn a_person_described_after_an_offence_is_someone_else() {
        let s = subjects("A 30-year-old was convicted burglary of a 14-year-old.");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].charges[0].code, "220");
        assert!(s[1].charges.is_empty());
    }

    #[test]
    fn a_new_persons_noun_tells_the_new_persons_sex() {
        let s = subjects("A 30-year-old was held. Later a girl aged 9-year-old was found.");
        assert_eq!(s.len(), 2);
        assert!(s[0].sex.is_none());
        assert_eq!(s[1].sex.as_ref().unwrap().value.as_str(), Some("female"));
    }

    #[test]
    fn a_victim_mentioned_twice_is_one_subject() {
        let s = subjects("A 10-year-old girl was hurt. Much later. More. Even more. The 10-year-old girl is home.");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn a_report_charge_dated_after_a_release_is_later() {
        let s = subjects(
            "Age: 40\n\nOn May 1, 2019, police convicted him of burglary. \
             On May 2, 2019, ICE released him on bond. \
             On June 3, 2019, a court convicted him of burglary.",
        );
        let phases: Vec<_> = s[0].charges.iter().map(|c| c.phase).collect();
        assert_eq!(phases, vec![super::Phase::Prior, super::Phase::Later]);
    }

    #[test]
    fn a_name_in_apposition_to_a_reference_is_that_subjects() {
        let s = subjects("A 30-year-old was held. Later the man, Juan ROE was arrested.");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name.as_ref().unwrap().value.as_str(), Some("Juan ROE"));
    }

    #[test]
    fn first_name_in_a_report_names_its_subject() {
        let s = subjects("Age: 40\n\nJuan ROE was arrested. A court convicted him of burglary.");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name.as_ref().unwrap().value.as_str(), Some("Juan ROE"));
    }

    #[test]
    fn surnames_match_full_names() {
        assert!(names_match("Juan Perez-Lopez", "Perez-Lopez"));
        assert!(!names_match("Juan Perez-Lopez", "Perez"));
        assert!(!names_match("Ana Ruiz", "Luis Ortega"));
    }
}
