//! Matching: a segmented document and a compiled pack -> [`Mention`]s.
//!
//! In: a [`Segmented`] document and a [`Pack`]. Out: every mention, sorted by
//! span, each with its normalized value, document byte span, rule index and
//! sentence index. Rules match within one sentence; `each` rules turn every
//! lexicon phrase inside their capture into a mention of its own; veto
//! mentions cancel mentions of the fields they name that they overlap.

use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};

use regex_automata::meta;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, Match, Span};

use crate::mention::{Field, Mention};
use crate::normalize::NormalizeContext;
use crate::prefilter::{Candidates, Hit};
use crate::rules::lead::{Lead, LeadCache};
use crate::rules::split::{Split, SplitCache};
use crate::rules::starts::Starts;
use crate::rules::{Pack, Rule, Scale};
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

/// What searching needs besides the compiled regexes: each rule's search
/// state (see [`SearchStates`]); how many threads may build rules, and for
/// which scale. One per thread at a time.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Every rule's search state: this scratch's own, or shared with other
    /// threads' scratches (see [`Scratch::sharing`]).
    states: Arc<SearchStates>,
    /// How many threads may build the rules a document needs that are
    /// not built yet (see [`Pack::prepare`]); 0 or 1: none beside this one.
    pub build_threads: usize,
    /// The scale of input rules are built for (see [`Scale`]).
    pub scale: Scale,
    /// When set, what matching costs is added up here.
    pub profile: Option<MatchProfile>,
    /// Build each rule's lead (see [`crate::rules::lead`]) before its first
    /// hit, not after [`LEAD_AFTER_HITS`] of them: what tests of short
    /// texts need to exercise leads (a batch gains nothing from it).
    pub leads_at_once: bool,
}

/// What matching cost, while [`Scratch::profile`] is set.
#[derive(Debug, Clone, Default)]
pub struct MatchProfile {
    /// Time in the prefilter.
    pub prefilter: std::time::Duration,
    /// What each rule cost, by rule index.
    pub rules: Vec<RuleCost>,
}

/// What one rule cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleCost {
    /// Places the prefilter sent the rule to: literal occurrences, or
    /// sentences for a rule searched sentence by sentence.
    pub windows: u64,
    /// Mentions found, before vetoes and duplicates are dropped.
    pub mentions: u64,
    /// Time searching and normalizing.
    pub time: std::time::Duration,
}

impl MatchProfile {
    /// Adds to `rule`'s cost (`rules` holds every rule: sized when the
    /// prefilter's time is added, before any rule runs).
    fn add(&mut self, rule: usize, windows: usize, mentions: usize, time: std::time::Duration) {
        let cost = &mut self.rules[rule];
        cost.windows += windows as u64;
        cost.mentions += mentions as u64;
        cost.time += time;
    }
}

/// Every rule's search state, which the threads of a batch share: each
/// takes a rule's state for the time it searches a group of documents with
/// it, and passes on to another rule while another thread has it. A rule's
/// lazy DFA states are built once for all threads, where each thread used
/// to build its own: a tenth of a thread's work on 64 MB, and memory.
#[derive(Debug, Default)]
pub struct SearchStates {
    /// One slot per rule of the pack first searched with.
    slots: OnceLock<Box<[Mutex<Option<RuleSearch>>]>>,
}

impl SearchStates {
    fn slots(&self, rules: usize) -> &[Mutex<Option<RuleSearch>>] {
        let slots = self
            .slots
            .get_or_init(|| (0..rules).map(|_| Mutex::new(None)).collect());
        assert_eq!(slots.len(), rules, "search states serve one pack");
        slots
    }

    /// Rule `index`'s state, for this thread alone: `None` while another
    /// thread has it.
    fn try_take(
        slots: &[Mutex<Option<RuleSearch>>],
        index: usize,
    ) -> Option<MutexGuard<'_, Option<RuleSearch>>> {
        match slots[index].try_lock() {
            Ok(state) => Some(state),
            Err(TryLockError::WouldBlock) => None,
            Err(TryLockError::Poisoned(poisoned)) => Some(Self::reset(&slots[index], poisoned)),
        }
    }

    /// Rule `index`'s state, for this thread alone, once no other thread
    /// has it.
    fn take(
        slots: &[Mutex<Option<RuleSearch>>],
        index: usize,
    ) -> MutexGuard<'_, Option<RuleSearch>> {
        slots[index]
            .lock()
            .unwrap_or_else(|poisoned| Self::reset(&slots[index], poisoned))
    }

    /// A state a panicking search left behind, dropped.
    fn reset<'s>(
        slot: &'s Mutex<Option<RuleSearch>>,
        poisoned: PoisonError<MutexGuard<'s, Option<RuleSearch>>>,
    ) -> MutexGuard<'s, Option<RuleSearch>> {
        slot.clear_poison();
        let mut state = poisoned.into_inner();
        *state = None;
        state
    }
}

impl Scratch {
    /// Search state for rules built for `scale`.
    pub fn for_scale(scale: Scale) -> Scratch {
        Scratch {
            scale,
            ..Scratch::default()
        }
    }

    /// A scratch for rules built for `scale` whose rule search states are
    /// `states`, which other threads' scratches may share.
    pub fn sharing(states: Arc<SearchStates>, scale: Scale) -> Scratch {
        Scratch {
            states,
            ..Scratch::for_scale(scale)
        }
    }

    /// How many rules this scratch searches with their pattern split
    /// around the value group (see [`crate::rules::split`]).
    pub fn rules_split(&self) -> usize {
        let slots = self.states.slots.get().map_or(&[][..], |slots| &slots[..]);
        (0..slots.len())
            .map(|index| SearchStates::take(slots, index))
            .filter(|s| s.as_ref().is_some_and(|s| matches!(s.split, Some(Some(_)))))
            .count()
    }

    /// The search state in `slot` of `rule`, about to search `hits` more
    /// hits.
    fn for_rule<'a, 's>(
        &self,
        slot: &'s mut Option<RuleSearch>,
        rule: &'a Rule,
        hits: usize,
    ) -> Searcher<'a, 's> {
        let scale = self.scale;
        let lead_after = if self.leads_at_once {
            0
        } else {
            LEAD_AFTER_HITS
        };
        let regex = rule.regex.get(scale);
        // A cache only serves the regex that made it.
        if slot.as_ref().is_none_or(|s| s.scale != scale) {
            *slot = Some(RuleSearch {
                scale,
                cache: regex.create_cache(),
                caps: regex.create_captures(),
                captured: 0,
                split: None,
                hits: 0,
                lead: None,
            });
        }
        let search = slot.as_mut().expect("just filled");
        search.hits = search
            .hits
            .saturating_add(hits.try_into().unwrap_or(u32::MAX));
        // A lead costs about as much to build as the rule: it waits until
        // the rule has shown it has hits to rule out (a small batch would
        // spend more building leads than they save it). While another
        // thread builds it, this one searches without it and asks again on
        // its next call.
        if search.lead.is_none() && search.hits >= lead_after && scale == Scale::Large {
            search.lead = rule.lead().map(|lead| lead.map(Lead::create_cache));
        }
        let lead = match search.lead.as_mut() {
            Some(Some(cache)) => rule.lead().flatten().zip(Some(cache)),
            _ => None,
        };
        // Only the DFAs of the large scale make the split cheaper than the
        // engine's own capture search, and only for matches of unbounded
        // length (the backtracker's cost grows with the match's). Its parts
        // cost as much to build as the rule, so it waits until the rule has
        // shown it matches often.
        if search.split.is_none()
            && search.captured >= SPLIT_AFTER_CAPTURES
            && scale == Scale::Large
            && rule.max_len.is_none()
        {
            search.split = rule
                .regex
                .split(rule.capture)
                .map(|split| split.map(Split::create_cache));
        }
        let split = match search.split.as_mut() {
            Some(Some(cache)) => rule.regex.split(rule.capture).flatten().zip(Some(cache)),
            _ => None,
        };
        Searcher {
            regex,
            starts: rule.regex.starts(),
            capture: rule.capture,
            group_is_match: rule.regex.group_is_match(rule.capture),
            split,
            cache: &mut search.cache,
            caps: &mut search.caps,
            captured: &mut search.captured,
            lead,
        }
    }
}

/// One rule's search state in a [`Scratch`].
#[derive(Debug)]
struct RuleSearch {
    scale: Scale,
    cache: meta::Cache,
    caps: Captures,
    /// Capture searches made so far (see [`SPLIT_AFTER_CAPTURES`]).
    captured: u32,
    /// Search state of the rule's split, once it was built (`None`
    /// inside: the rule does not split).
    split: Option<Option<SplitCache>>,
    /// Hits searched so far (see [`LEAD_AFTER_HITS`]).
    hits: u32,
    /// Search state of the rule's lead, once it was built (`None`
    /// inside: the rule has none).
    lead: Option<Option<LeadCache>>,
}

/// A rule with a lead (see [`crate::rules::lead`]) builds it once this many
/// of its hits were searched on a thread.
pub const LEAD_AFTER_HITS: u32 = 2048;

/// A rule of unbounded match length whose capture search has run this
/// often on a thread gets its pattern split (see [`crate::rules::split`]).
const SPLIT_AFTER_CAPTURES: u32 = 256;

/// What searching one rule takes: its regex, the group wanted, and the
/// thread's search state for them.
struct Searcher<'r, 's> {
    regex: &'r meta::Regex,
    /// Where its matches can start, when the pattern says (see
    /// [`crate::rules::starts`]).
    starts: Option<&'r Starts>,
    capture: usize,
    /// The group wanted is the whole match (see
    /// [`crate::rules::LazyRegex::group_is_match`]).
    group_is_match: bool,
    split: Option<(&'r Split, &'s mut SplitCache)>,
    cache: &'s mut meta::Cache,
    caps: &'s mut Captures,
    captured: &'s mut u32,
    lead: Option<(&'r Lead, &'s mut LeadCache)>,
}

impl Searcher<'_, '_> {
    /// False when no match can hold the literal occurrence at `at` in the
    /// `sentence` of `view` (see [`crate::rules::lead`]). Only a lead reads
    /// the sentence: most hits passed over are never read, and a hit's
    /// sentence is rarely still in the CPU's caches.
    fn may_hold(&mut self, view: &str, sentence: &Range<usize>, at: usize) -> bool {
        match self.lead.as_mut() {
            Some((lead, cache)) => {
                lead.may_end_at(cache, &view[sentence.clone()], 0, at - sentence.start)
            }
            None => true,
        }
    }

    /// The leftmost-first match in `input` and the span of the group
    /// wanted (the whole match when that group took no part in it).
    /// When the places a match can start are known, only those are tried,
    /// in order, each with an anchored search: the first that matches is
    /// the leftmost match, and the same one.
    fn search(&mut self, input: &Input) -> Option<(Match, Span)> {
        let Some(starts) = self.starts else {
            return self.search_from(input);
        };
        let mut from = input.start();
        while let Some(at) = starts.next(input.haystack(), from, input.end()) {
            let anchored = input.clone().span(at..input.end()).anchored(Anchored::Yes);
            if let Some(found) = self.search_from(&anchored) {
                return Some(found);
            }
            from = at + 1;
        }
        None
    }

    /// [`Searcher::search`] trying every place in `input`.
    fn search_from(&mut self, input: &Input) -> Option<(Match, Span)> {
        if self.group_is_match {
            let found = self.regex.search_with(self.cache, input)?;
            return Some((found, found.span()));
        }
        if let Some((split, cache)) = self.split.as_mut() {
            let found = self.regex.search_with(self.cache, input)?;
            if let Some(group) = split.group(cache, input, found) {
                return Some((found, group));
            }
            // The same match, from its start, through the capture search.
            let from_start = input.clone().range(found.start()..).anchored(Anchored::Yes);
            return self.search_captures(&from_start);
        }
        self.search_captures(input)
    }

    fn search_captures(&mut self, input: &Input) -> Option<(Match, Span)> {
        self.regex
            .search_captures_with(self.cache, input, self.caps);
        let found = self.caps.get_match()?;
        *self.captured = self.captured.saturating_add(1);
        let group = self.caps.get_group(self.capture).unwrap_or(found.span());
        Some((found, group))
    }
}

/// Finds every mention in `doc`, a document on its own (so with rules
/// built for [`Scale::Small`]).
pub fn find_mentions(pack: &Pack, doc: &Segmented, selection: RuleSelection) -> Vec<Mention> {
    find_mentions_with(pack, doc, selection, &mut Scratch::for_scale(Scale::Small))
}

/// [`find_mentions`] with a thread's [`Scratch`], kept from one document to
/// the next.
pub fn find_mentions_with(
    pack: &Pack,
    doc: &Segmented,
    selection: RuleSelection,
    scratch: &mut Scratch,
) -> Vec<Mention> {
    find_mentions_in_group(pack, std::slice::from_ref(doc), selection, scratch)
        .pop()
        .expect("one document in, one list out")
}

/// [`find_mentions_with`] for several documents at once, each rule run over
/// all of them before the next: a rule's search state (its lazy DFA) and the
/// prefilter's automaton stay in the CPU's caches instead of being evicted
/// by every other rule between one document and the next. The mentions of
/// each document are exactly those it gets on its own.
pub fn find_mentions_in_group(
    pack: &Pack,
    docs: &[Segmented],
    selection: RuleSelection,
    scratch: &mut Scratch,
) -> Vec<Vec<Mention>> {
    // The clock is read only while profiling: a batch matches windows by
    // the million, and each reading costs tens of nanoseconds.
    let profiling = scratch.profile.is_some();
    let clock = || profiling.then(std::time::Instant::now);
    let started = clock();
    let candidates: Vec<Candidates> = docs
        .iter()
        .map(|doc| pack.prefilter.candidates(&doc.view, &doc.sentences))
        .collect();
    if let (Some(profile), Some(started)) = (scratch.profile.as_mut(), started) {
        profile.prefilter += started.elapsed();
        profile
            .rules
            .resize_with(pack.rules.len(), RuleCost::default);
    }
    let rules: Vec<usize> = match selection {
        RuleSelection::All => (0..pack.rules.len()).collect(),
        RuleSelection::One(i) => vec![i],
    };
    let needed: Vec<usize> = rules
        .iter()
        .copied()
        .filter(|&i| candidates.iter().any(|c| !c[i].is_empty()))
        .collect();
    pack.prepare(&needed, scratch.build_threads, scratch.scale);
    let mut mentions: Vec<Vec<Mention>> = vec![Vec::new(); docs.len()];
    let mut search_group = |index: usize, state: &mut Option<RuleSearch>, scratch: &mut Scratch| {
        for ((doc, hits), found) in docs.iter().zip(&candidates).zip(&mut mentions) {
            if !hits[index].is_empty() {
                let (before, started) = (found.len(), clock());
                match_rule(pack, index, doc, &hits[index], state, scratch, found);
                if let (Some(profile), Some(started)) = (scratch.profile.as_mut(), started) {
                    let found = found.len() - before;
                    profile.add(index, hits[index].len(), found, started.elapsed());
                }
            }
        }
    };
    // A rule whose state another thread has, or that another thread is
    // still building, waits until the others are done; when only such
    // rules are left, the thread waits for the first. Mentions are sorted
    // below, so the order rules run in changes nothing.
    let states = Arc::clone(&scratch.states);
    let slots = states.slots(pack.rules.len());
    let scale = scratch.scale;
    let mut pending = needed;
    while let Some(&first) = pending.first() {
        let before = pending.len();
        pending.retain(|&index| {
            if pack.is_building(index, scale) {
                return true;
            }
            match SearchStates::try_take(slots, index) {
                Some(mut state) => {
                    search_group(index, &mut state, scratch);
                    false
                }
                None => true,
            }
        });
        if pending.len() == before {
            let mut state = SearchStates::take(slots, first);
            search_group(first, &mut state, scratch);
            pending.remove(0);
        }
    }
    for found in &mut mentions {
        apply_vetoes(pack, found);
        found.sort_by_key(|m| (m.start, m.end, m.field, m.rule));
        found.dedup_by(|b, a| a.field == b.field && a.start == b.start && a.end == b.end);
    }
    mentions
}

/// Appends the mentions rule `index` finds in `doc` at its `hits`.
fn match_rule(
    pack: &Pack,
    index: usize,
    doc: &Segmented,
    hits: &[Hit],
    state: &mut Option<RuleSearch>,
    scratch: &Scratch,
    mentions: &mut Vec<Mention>,
) {
    let context = NormalizeContext {
        lexicons: &pack.lexicons,
        config: &pack.normalizers,
    };
    let rule = &pack.rules[index];
    let (back, bound) = window(pack, index);
    let scale = scratch.scale;
    let mut searcher = scratch.for_rule(state, rule, hits.len());
    let at_hits = Plan::of(pack, index) == Some(Plan::AtHits);
    let found = |sentence: usize, group: Span| {
        let range = &doc.sentences[sentence];
        let text = &doc.view[range.clone()];
        let captured = &text[group.range()];
        let base = range.start + group.start;
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
                for hit in lexicon.scan(captured, scale) {
                    let phrase = &captured[hit.start..hit.end];
                    let value = context
                        .apply(&rule.normalizer, phrase)
                        .unwrap_or(crate::mention::Value::Str(hit.code));
                    push(hit.start, hit.end, value);
                }
            }
            None => {
                if let Some(value) = context
                    .apply(&rule.normalizer, captured)
                    .filter(|v| in_range(rule, v))
                {
                    push(0, captured.len(), value);
                }
            }
        }
    };
    if at_hits {
        for_each_match_at_hits(&mut searcher, bound, doc, hits, found);
    } else {
        for_each_match(&mut searcher, back, bound, doc, hits, found);
    }
}

/// How far around a hit rule `index` is searched: how many bytes before
/// it a match can start, and the longest match when it bounds the window
/// after the hit (`None`: the sentence's start, its end).
fn window(pack: &Pack, index: usize) -> (Option<usize>, Option<usize>) {
    let rule = &pack.rules[index];
    let bound = rule.max_len.filter(|_| !pack.prefilter.per_sentence(index));
    (rule.reach_back.or(bound), bound)
}

/// How the matcher searches a rule, as `docket check --profile` shows it:
/// a rule author sees why a rule costs what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// No literals: every sentence is searched.
    EverySentence,
    /// Only the few places in a sentence where a match can start are
    /// tried, in the sentences its literals occur in (every sentence, for
    /// a rule without literals; see [`crate::rules::starts`]).
    Starts,
    /// One anchored search at each hit: every match starts at one of its
    /// literals.
    AtHits,
    /// A search around each hit, from `back` bytes before it (`None`: from
    /// the start of its sentence), to `ahead` bytes after it (`None`: to
    /// the end of its sentence). With `lead`, a hit is first read back
    /// from, and passed over when no match can hold it (see
    /// [`crate::rules::lead`]).
    Around {
        /// Bytes searched before a hit.
        back: Option<usize>,
        /// Bytes searched after a hit.
        ahead: Option<usize>,
        /// Whether hits are read back from first.
        lead: bool,
    },
}

impl Plan {
    /// The plan of rule `index`; `None` before it was compiled (where its
    /// matches can start is known only then).
    pub fn of(pack: &Pack, index: usize) -> Option<Plan> {
        let rule = &pack.rules[index];
        if !rule.regex.is_compiled(Scale::Small) && !rule.regex.is_compiled(Scale::Large) {
            return None;
        }
        let occurrences = pack.prefilter.hits_are_occurrences(index);
        Some(if rule.regex.starts().is_some() {
            Plan::Starts
        } else if !occurrences {
            Plan::EverySentence
        } else if rule.starts_at_its_literals() {
            // A rule with a lead reaches back to the parts before its
            // literal (see [`crate::prefilter::Requirement::factor`]), so a
            // rule that does not has none.
            Plan::AtHits
        } else {
            let (back, ahead) = window(pack, index);
            Plan::Around {
                back,
                ahead,
                lead: rule.factor.is_some(),
            }
        })
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Plan::EverySentence => f.write_str("every sentence"),
            Plan::Starts => f.write_str("at starts"),
            Plan::AtHits => f.write_str("at hits"),
            Plan::Around { back, ahead, lead } => {
                match (back, ahead) {
                    (None, None) => f.write_str("whole sentence")?,
                    (Some(back), None) => write!(f, "-{back}..sentence end")?,
                    (None, Some(ahead)) => write!(f, "sentence start..+{ahead}")?,
                    (Some(back), Some(ahead)) => write!(f, "-{back}..+{ahead}")?,
                }
                if *lead {
                    f.write_str(", lead")?;
                }
                Ok(())
            }
        }
    }
}

/// Calls `found(sentence, group)` for each match of a rule (the span of the
/// group it wants, in the sentence), exactly the matches a left-to-right
/// search of every sentence would give, while reading only the text around
/// the rule's literal occurrences (`hits`, sorted). A match starts at most
/// `back` bytes (when known) before its literal.
///
/// Every match holds one of the hits. With a `bound` `L` on the match
/// length, a match holding hit `h` lies in `h.start - L .. h.end + L`, so
/// that window is all that is searched for `h`. A match found there that
/// starts after `h.end` may not be the leftmost one (a match starting
/// before it could run past the window), so it is set aside: the hit it
/// holds comes later and finds it with a window of its own. Without a
/// bound, a hit (the sentence's first) stands for its sentence, searched to
/// its end from the hit, less the most a match can hold before its literal.
/// A hit the rule's lead rules out is passed over: a match holds another.
/// (Nothing else changes: a match found is one the hits that hold it would
/// find, and `pos` moves only past text searched.)
fn for_each_match(
    searcher: &mut Searcher,
    back: Option<usize>,
    bound: Option<usize>,
    doc: &Segmented,
    hits: &[Hit],
    mut found: impl FnMut(usize, Span),
) {
    // Matches start at or after `pos` (a view offset): the end of the last
    // match, or a point before which no match can start.
    let mut pos = 0;
    // Without a bound, the hit's sentence is searched to its end.
    let whole_sentences = bound.is_none();
    // A match starts at most `reach` bytes before its literal.
    let reach = back.unwrap_or(usize::MAX);
    for hit in hits {
        let (hit_start, hit_end) = (hit.start as usize, hit.end as usize);
        let sentence = hit.sentence as usize;
        let range = &doc.sentences[sentence];
        let passed_over =
            hit_start < pos.max(range.start) || !searcher.may_hold(&doc.view, range, hit_start);
        if passed_over {
            continue;
        }
        loop {
            let searched = if whole_sentences {
                pos < range.end
            } else {
                hit_start >= pos.max(range.start)
            };
            if !searched {
                break;
            }
            let from = pos.max(range.start).max(hit_start.saturating_sub(reach));
            let to = bound.map_or(range.end, |len| range.end.min(hit_end + len));
            let haystack = &doc.view[range.clone()];
            let input = Input::new(haystack).span(from - range.start..to - range.start);
            let Some((m, group)) = searcher.search(&input) else {
                // No match starts before the hit ends (nor anywhere after
                // `from` in the sentence, without a bound).
                pos = bound.map_or(range.end, |_| hit_end);
                break;
            };
            let (start, end) = (range.start + m.start(), range.start + m.end());
            if bound.is_some() && start > hit_end {
                pos = hit_end;
                break;
            }
            found(sentence, group);
            // An empty match (only patterns without literals can give one)
            // moves on by one character, as the regex iterators do.
            pos = if end > start {
                end
            } else {
                end + doc.view[end..].chars().next().map_or(1, char::len_utf8)
            };
        }
    }
}

/// [`for_each_match`] for a rule whose matches all start where one of its
/// literals does (it reaches back 0 bytes): the leftmost match starts at
/// the first hit where one starts, so each hit from `pos` on is tried in
/// order with one anchored search, as [`Searcher::search`] tries a
/// pattern's known starts. No reverse search for where a match starts,
/// and no unanchored scan through text where none can start: a rule that
/// is searched a sentence at a time (no bound on its length) read the rest
/// of the sentence from its first hit, and now reads on from each hit only
/// while a match may still be under way (up to [`AT_HITS_PER_SENTENCE`]
/// hits in a sentence). Such rules get every hit of a sentence from the
/// prefilter (see [`crate::rules::Pack`]).
fn for_each_match_at_hits(
    searcher: &mut Searcher,
    bound: Option<usize>,
    doc: &Segmented,
    hits: &[Hit],
    mut found: impl FnMut(usize, Span),
) {
    for run in hits.chunk_by(|a, b| a.sentence == b.sentence) {
        if bound.is_none() && run.len() > AT_HITS_PER_SENTENCE {
            for_each_match(searcher, Some(0), None, doc, run, &mut found);
        } else {
            each_match_from_hits(searcher, bound, doc, run, &mut found);
        }
    }
}

/// A sentence with more hits than this, for a rule of unbounded length, is
/// searched once from its first hit to its end, as [`for_each_match`]
/// does: a failed anchored search from each hit may read to the end of
/// the sentence, which on one long sentence of rule words (a hostile
/// input) costs the square of its length.
const AT_HITS_PER_SENTENCE: usize = 8;

/// [`for_each_match_at_hits`] trying each hit.
fn each_match_from_hits(
    searcher: &mut Searcher,
    bound: Option<usize>,
    doc: &Segmented,
    hits: &[Hit],
    mut found: impl FnMut(usize, Span),
) {
    let mut pos = 0;
    let mut failed_at = None;
    for hit in hits {
        let start = hit.start as usize;
        let sentence = hit.sentence as usize;
        let range = &doc.sentences[sentence];
        // Two literals starting together (`as a`, `as an`) are one place.
        if start < pos.max(range.start) || failed_at == Some(start) {
            continue;
        }
        let to = bound.map_or(range.end, |len| range.end.min(start + len));
        let haystack = &doc.view[range.clone()];
        let input = Input::new(haystack)
            .span(start - range.start..to - range.start)
            .anchored(Anchored::Yes);
        match searcher.search(&input) {
            Some((m, group)) => {
                found(sentence, group);
                // A match holds its literal, so it is never empty (were it
                // empty, the next place to try would still lie beyond it).
                pos = range.start + m.end().max(m.start() + 1);
            }
            None => failed_at = Some(start),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefilter::Prefilter;
    use crate::rules::PackFiles;
    use crate::segment::segment;
    use proptest::prelude::*;

    /// Rules whose windows overlap, whose alternatives compete, and whose
    /// matches may or may not be bounded.
    fn pack() -> Pack {
        let rules = r#"
[[rule]]
id = "n.bounded"
field = "name"
pattern = 'cat(?:dog)?s?'
[[rule]]
id = "n.reach-back"
field = "name"
pattern = '(?:[a-z]{3}\s){0,2}cat'
[[rule]]
id = "n.to-clause-end"
field = "name"
pattern = '\bdog\b[^.]*'
[[rule]]
id = "n.priority"
field = "name"
pattern = 'x{0,3}catdog|dog'
[[rule]]
id = "n.greedy"
field = "name"
pattern = '(?:cat|dog)(?:\s(?:cat|dog)){0,3}\b'
[[rule]]
id = "n.unbounded-before"
field = "name"
pattern = '[a-z]+dog'
[[rule]]
id = "n.no-literal"
field = "name"
pattern = '[A-Z][a-z]{2}'
[[rule]]
id = "n.starts"
field = "name"
pattern = '(?:^|;\s)(?P<value>[a-z]+)\s(?:cat|dog)s?\b'
[[rule]]
id = "n.exact-alternative"
field = "name"
pattern = '\s(?:(?:cat|dog)[a-z]*|[a-z]{1,2}cat|hotdog)\b'
[[rule]]
id = "n.lead"
field = "name"
pattern = '\b(?:an?|one)\s(?:[a-z]{3}\s)?(?P<value>cat|dog)s?\b'
[[rule]]
id = "n.lead-unbounded"
field = "name"
pattern = '\b(?:an?|the)\s[a-z]+\s(?P<value>cat|dog)[a-z]*'
[[rule]]
id = "n.lead-in"
field = "name"
pattern = '[xs]+(?:dog|catdog)'
"#;
        let mut files = PackFiles::default();
        files
            .files
            .insert("pack.toml".into(), "[pack]\nname = \"t\"\n".into());
        files.files.insert("rules.toml".into(), rules.into());
        Pack::from_files(&files).unwrap()
    }

    /// A thread that finds a rule's state taken by another searches with
    /// every other rule first, then waits for it, and finds what a thread
    /// on its own finds.
    #[test]
    fn a_rule_another_thread_has_is_searched_after_the_others() {
        let pack = pack();
        let doc = segment(
            "one cat; a dog and Tom hotdogs. xsdog, the big catdogs.",
            &[],
        );
        let alone = find_mentions(&pack, &doc, RuleSelection::All);
        let candidates = pack.prefilter.candidates(&doc.view, &doc.sentences);
        let needed: Vec<usize> = (0..pack.rules.len())
            .filter(|&i| !candidates[i].is_empty())
            .collect();
        assert!(needed.len() >= 3, "the text needs several rules");
        let states = Arc::new(SearchStates::default());
        let slots = states.slots(pack.rules.len());
        let held = slots[needed[0]].lock().unwrap();
        std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let mut scratch = Scratch::sharing(Arc::clone(&states), Scale::Small);
                find_mentions_with(&pack, &doc, RuleSelection::All, &mut scratch)
            });
            let searched = |index: usize| {
                SearchStates::try_take(slots, index).is_some_and(|state| state.is_some())
            };
            let waited = std::time::Instant::now();
            while !needed[1..].iter().all(|&index| searched(index)) {
                assert!(
                    waited.elapsed().as_secs() < 20,
                    "the other rules were not searched while the first was held"
                );
                std::thread::yield_now();
            }
            assert!(held.is_none(), "the held rule was not searched");
            drop(held);
            assert_eq!(other.join().unwrap(), alone);
        });
    }

    /// Rules whose matches start at their hits, in sentences with few and
    /// with many hits (past [`AT_HITS_PER_SENTENCE`]), at both scales.
    #[test]
    fn trying_each_hit_finds_what_a_full_scan_finds() {
        let filtered = pack();
        let mut unfiltered = pack();
        unfiltered.prefilter = Prefilter::new(&vec![None; unfiltered.rules.len()], &[], &[]);
        let at_hits: Vec<usize> = (0..filtered.rules.len())
            .filter(|&i| filtered.rules[i].starts_at_its_literals())
            .collect();
        assert!(at_hits.len() >= 2, "the test pack has such rules");
        for many in [1, AT_HITS_PER_SENTENCE, AT_HITS_PER_SENTENCE + 1, 30] {
            let text = format!("x dog catdog s. {}cat. dog x", "dog cats ".repeat(many));
            let doc = segment(&text, &[]);
            for &rule in &at_hits {
                let expected = find_mentions(&unfiltered, &doc, RuleSelection::One(rule));
                for scale in [Scale::Small, Scale::Large] {
                    let mut scratch = Scratch::for_scale(scale);
                    let found =
                        find_mentions_with(&filtered, &doc, RuleSelection::One(rule), &mut scratch);
                    assert_eq!(found, expected, "rule {rule}, {many} hits, {scale:?}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn windows_find_what_a_full_scan_finds(
            tokens in proptest::collection::vec(
                prop::sample::select(vec!["cat", "dog", "catdog", "x", "s", " ", ". ", "Cat", "DOG", "\n\n", "hotdog", "; ", ";", "a ", "An ", "one ", "the ", "big "]),
                0..40,
            )
        ) {
            let filtered = pack();
            let mut unfiltered = pack();
            unfiltered.prefilter = Prefilter::new(&vec![None; unfiltered.rules.len()], &[], &[]);
            let text = tokens.concat();
            let doc = segment(&text, &[]);
            let found = find_mentions(&filtered, &doc, RuleSelection::All);
            prop_assert_eq!(&found, &find_mentions(&unfiltered, &doc, RuleSelection::All));
            let mut large = Scratch::for_scale(Scale::Large);
            prop_assert_eq!(
                &found,
                &find_mentions_with(&filtered, &doc, RuleSelection::All, &mut large),
                "the lazy DFA finds what the NFA scale find"
            );
            let mut leads = Scratch {
                leads_at_once: true,
                ..Scratch::for_scale(Scale::Large)
            };
            prop_assert_eq!(
                &found,
                &find_mentions_with(&filtered, &doc, RuleSelection::All, &mut leads),
                "hits the leads rule out are held by no match"
            );
        }

        /// A rule whose matches start at the sentence start or after a `;`
        /// is searched only there (see [`Starts`]): it finds what the
        /// engine's own iteration over each sentence finds.
        #[test]
        fn searching_only_where_matches_start_finds_every_match(
            tokens in proptest::collection::vec(
                prop::sample::select(vec!["cat", "dog", "x", "s", " ", ". ", "; ", ";", ";;", "\n\n"]),
                0..40,
            )
        ) {
            let pack = pack();
            let rule = pack.rules.iter().position(|r| r.id == "n.starts").unwrap();
            let text = tokens.concat();
            let doc = segment(&text, &[]);
            for scale in [Scale::Small, Scale::Large] {
                let regex = pack.rules[rule].regex.get(scale);
                let mut expected = Vec::new();
                for (i, range) in doc.sentences.iter().enumerate() {
                    for caps in regex.captures_iter(doc.sentence(i)) {
                        let group = caps.get_group(1).unwrap();
                        expected.push(doc.to_text(range.start + group.start..range.start + group.end));
                    }
                }
                let found: Vec<_> = find_mentions_with(&pack, &doc, RuleSelection::One(rule), &mut Scratch::for_scale(scale))
                    .iter()
                    .map(|m| m.start..m.end)
                    .collect();
                prop_assert_eq!(&found, &expected);
            }
        }
    }

    #[test]
    fn the_rules_above_exercise_every_search_mode() {
        let pack = pack();
        let bounded: Vec<bool> = (0..pack.rules.len())
            .map(|i| !pack.prefilter.per_sentence(i))
            .collect();
        assert_eq!(
            bounded,
            [true, true, false, true, true, false, false, false, false, true, false, false]
        );
        // Where the literals start, and what may come before them there.
        let leads: Vec<Option<(usize, &[String])>> = pack
            .rules
            .iter()
            .map(|r| r.factor.map(|f| (f, r.lead_ins.as_slice())))
            .collect();
        let cat = ["cat".to_string()];
        assert_eq!(
            leads,
            [
                None,
                None,
                None,
                None,
                None,
                Some((1, &[][..])),
                None,
                None,
                None,
                Some((4, &[][..])),
                Some((4, &[][..])),
                Some((1, &cat[..]))
            ]
        );
        assert_eq!(pack.rules[1].reach_back, Some(8));
        assert_eq!(pack.rules[5].reach_back, None);
        let starts: Vec<bool> = pack
            .rules
            .iter()
            .map(|rule| {
                rule.regex.get(Scale::Small);
                rule.regex.starts().is_some()
            })
            .collect();
        assert_eq!(
            starts,
            [false, false, false, false, false, false, false, true, false, false, false, false]
        );
        let plans: Vec<String> = (0..pack.rules.len())
            .map(|i| Plan::of(&pack, i).expect("compiled above").to_string())
            .collect();
        // As `docket check --profile` shows them.
        assert_eq!(
            plans,
            [
                "at hits",
                "-8..+11",
                "at hits",
                "at hits",
                "at hits",
                "whole sentence, lead",
                "every sentence",
                "at starts",
                "-3..sentence end",
                "-8..+12, lead",
                "whole sentence, lead",
                "whole sentence, lead"
            ]
        );
        // `hotdog` is all its alternation matched, `dog` begins it, and
        // `cat` may also come after one or two letters.
        let literals: Vec<(&str, bool, bool)> = pack.rules[8]
            .literals
            .iter()
            .flatten()
            .map(|l| (l.text.as_str(), l.bounded_before, l.bounded_after))
            .collect();
        assert_eq!(
            literals,
            [
                ("cat", false, false),
                ("dog", true, false),
                ("hotdog", true, true)
            ]
        );
    }
}
