//! Lexicons: TSV files of `CODE<TAB>phrase<TAB>phrase...` lines.
//!
//! In: the text of one lexicon file. Out: a [`Lexicon`] that serves three
//! uses: a regex alternation for `{{NAME}}` sub-patterns, a phrase -> code
//! table for normalization, and a scanner that finds every phrase inside a
//! captured span (lists of charges).

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::alternation::Phrases;
use super::Scale;
use crate::built::BuiltOnce;
use crate::error::{Location, RuleProblem};
use crate::normalize::{single_spaced, squeeze};
use crate::sorted::SortedForms;

/// How a lexicon's phrases are compared with text.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconOptions {
    /// Match letter case exactly (proper nouns such as demonyms).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Also accept regular English plurals of each phrase ("burglaries").
    #[serde(default)]
    pub plurals: bool,
}

/// One compiled lexicon.
#[derive(Debug)]
pub struct Lexicon {
    /// Its name, as used in `{{NAME}}` and `lexicon:NAME`.
    pub name: String,
    options: LexiconOptions,
    /// Its entries and lookup table; a deferred lexicon parses them on
    /// first use.
    contents: std::sync::OnceLock<Contents>,
    /// A deferred lexicon's file (as messages name it) and text.
    deferred: Option<(String, String)>,
    /// Scanner over every surface form, leftmost-longest, built on first
    /// scan (most lexicons are only used in patterns and lookups), one
    /// per [`Scale`] (indexed by it).
    scanners: [BuiltOnce<Scanner>; 2],
}

/// What parsing a lexicon file gives.
#[derive(Debug)]
struct Contents {
    /// (code, phrase) in file order.
    entries: Vec<(String, String)>,
    /// Folded phrase (and its plural forms) -> index into `entries`. Only
    /// looked up, never walked, so its order cannot reach the output.
    table: HashMap<String, usize>,
    /// Each surface form with the entry it stands for, in entry order: the
    /// forms the table gives to that entry, as written.
    surfaces: Vec<(String, usize)>,
}

/// What finds a lexicon's surface forms in text, leftmost-longest: the
/// phrase that starts first, and the longest of those starting there.
#[derive(Debug)]
enum Scanner {
    /// For large input: an Aho-Corasick automaton (pattern i is entry
    /// `entry_of[i]`), one pass over the text, but costly to build (70 M
    /// instructions for the offence lexicon, a fifth of a small article's run).
    Automaton {
        automaton: AhoCorasick,
        entry_of: Vec<usize>,
    },
    /// For small input: the forms sorted bytewise, with their entries.
    /// Built by a sort; each text position narrows the sorted range one
    /// byte at a time (forms sharing a prefix are adjacent), several times
    /// slower per byte than the automaton.
    Sorted {
        forms: SortedForms,
        entry_of: Vec<usize>,
    },
}

impl Scanner {
    /// Calls `found(start, end, entry)` for each match in `text`, left to
    /// right, without overlaps, as Aho-Corasick's leftmost-longest
    /// iteration reports them.
    fn for_each(&self, text: &str, mut found: impl FnMut(usize, usize, usize)) {
        match self {
            Scanner::Automaton {
                automaton,
                entry_of,
            } => {
                for m in automaton.find_iter(text) {
                    found(m.start(), m.end(), entry_of[m.pattern().as_usize()]);
                }
            }
            Scanner::Sorted { forms, entry_of } => {
                let bytes = text.as_bytes();
                let mut at = 0;
                while at < bytes.len() {
                    match forms.longest_at(&bytes[at..]) {
                        Some(k) => {
                            let end = at + forms.strings()[k].len();
                            found(at, end, entry_of[k]);
                            at = end;
                        }
                        None => at += 1,
                    }
                }
            }
        }
    }
}

/// A phrase of a lexicon found in some text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconHit {
    /// Byte range in the scanned text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// The code of the entry.
    pub code: String,
}

impl Lexicon {
    /// Parses a lexicon file; `file` names it in errors.
    pub fn parse(
        name: &str,
        file: &str,
        text: &str,
        options: LexiconOptions,
    ) -> Result<Lexicon, Vec<RuleProblem>> {
        let contents = Contents::parse(file, text, options)?;
        Ok(Lexicon {
            contents: std::sync::OnceLock::from(contents),
            ..Lexicon::unparsed(name, options, None)
        })
    }

    /// A lexicon parsed on first use, for files known to parse (the
    /// embedded pack's, checked by `cargo test`): most runs need only a
    /// few of a pack's lexicons, and parsing them all was a third of
    /// loading the pack.
    pub(crate) fn deferred(name: &str, file: &str, text: &str, options: LexiconOptions) -> Lexicon {
        Lexicon::unparsed(name, options, Some((file.to_string(), text.to_string())))
    }

    fn unparsed(
        name: &str,
        options: LexiconOptions,
        deferred: Option<(String, String)>,
    ) -> Lexicon {
        Lexicon {
            name: name.to_string(),
            options,
            contents: std::sync::OnceLock::new(),
            deferred,
            scanners: Default::default(),
        }
    }

    fn contents(&self) -> &Contents {
        self.contents.get_or_init(|| {
            let (file, text) = self
                .deferred
                .as_ref()
                .expect("a lexicon is either parsed or deferred");
            Contents::parse(file, text, self.options).unwrap_or_else(|problems| {
                panic!(
                    "{}: {} (`cargo test` reports this before a build is used)",
                    problems[0].location, problems[0].message
                )
            })
        })
    }

    /// Whether its file has been parsed yet.
    #[cfg(test)]
    pub(crate) fn is_parsed(&self) -> bool {
        self.contents.get().is_some()
    }

    /// Whether its scanner for `scale` has been built yet.
    pub(crate) fn scanner_built(&self, scale: Scale) -> bool {
        self.scanners[scale as usize].get().is_some()
    }

    /// Whether another thread is building its scanner for `scale`.
    pub(crate) fn scanner_building(&self, scale: Scale) -> bool {
        self.scanners[scale as usize].is_building()
    }

    fn entries_table(&self) -> (&[(String, String)], &HashMap<String, usize>) {
        let contents = self.contents();
        (&contents.entries, &contents.table)
    }

    /// Builds its scanner for `scale` now (see [`Lexicon::scan`]) unless
    /// some thread has begun building it.
    pub(crate) fn prepare(&self, scale: Scale) {
        self.scanners[scale as usize].get_unless_building(|| self.build_scanner(scale));
    }

    fn scanner(&self, scale: Scale) -> &Scanner {
        self.scanners[scale as usize].get_or_build(|| self.build_scanner(scale))
    }

    fn build_scanner(&self, scale: Scale) -> Scanner {
        let (mut surfaces, entry_of): (Vec<String>, Vec<usize>) =
            self.contents().surfaces.iter().cloned().unzip();
        // Case-insensitive lexicons scan lowercased text (see `scan`) with
        // lowercased phrases: the same matches as an ASCII-case-insensitive
        // automaton, which costs about twice as much to build.
        if !self.options.case_sensitive {
            surfaces.iter_mut().for_each(|s| s.make_ascii_lowercase());
        }
        match scale {
            // Forms are all different (each is kept only for the entry
            // its folded form names); should two ever be equal, the
            // first added is kept, as the automaton picks it.
            Scale::Small => Scanner::Sorted {
                forms: SortedForms::new(surfaces),
                entry_of,
            },
            // Scans read short captured spans (a clause after "charged
            // with"), by the tens of thousands in a batch: the
            // contiguous NFA scans them about 1.7 times as fast as the
            // non-contiguous one it is made from, and as fast as a DFA,
            // which takes far longer to build.
            Scale::Large => Scanner::Automaton {
                automaton: AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&surfaces)
                    .expect("lexicon phrases always build an automaton"),
                entry_of,
            },
        }
    }

    /// Number of entries (phrases) in the file.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// True when the lexicon has no phrases.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// Every (code, phrase) pair in file order.
    pub fn entries(&self) -> &[(String, String)] {
        self.entries_table().0
    }

    /// The codes, in first-seen order, without repeats.
    pub fn codes(&self) -> Vec<&str> {
        let mut seen = std::collections::BTreeSet::new();
        self.entries()
            .iter()
            .filter(|(code, _)| seen.insert(code.as_str()))
            .map(|(code, _)| code.as_str())
            .collect()
    }

    /// The code for a phrase as written in text, if the lexicon knows it.
    pub fn lookup(&self, phrase: &str) -> Option<&str> {
        let (entries, table) = self.entries_table();
        with_folded(phrase, self.options.case_sensitive, |key| {
            table.get(key).copied()
        })
        .map(|i| entries[i].0.as_str())
    }

    /// The first phrase listed for `code` (used as its display label).
    pub fn label(&self, code: &str) -> Option<&str> {
        self.entries()
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, p)| p.as_str())
    }

    /// Its phrases (or, with `code`, the phrases of that code) in priority
    /// order, longest first, for writing as an alternation.
    pub(crate) fn phrases(&self, code: Option<&str>) -> Option<Phrases> {
        let mut forms: Vec<String> = self
            .entries()
            .iter()
            .filter(|(c, _)| code.is_none_or(|want| want == c))
            .flat_map(|(_, p)| surface_forms(p, self.options.plurals))
            .collect();
        if forms.is_empty() {
            return None;
        }
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        Some(Phrases::new(&forms, self.options.case_sensitive))
    }

    /// A regex alternation matching any phrase (or, with `code`, any phrase of that code).
    pub fn alternation(&self, code: Option<&str>) -> Option<String> {
        self.phrases(code).map(|p| p.regex())
    }

    /// Every phrase inside `text` that stands as whole words, leftmost-longest,
    /// with the scanner built for `scale` (the same hits either way).
    pub fn scan(&self, text: &str, scale: Scale) -> Vec<LexiconHit> {
        let mut scan_text = normalize_apostrophes(text);
        if !self.options.case_sensitive && scan_text.bytes().any(|b| b.is_ascii_uppercase()) {
            scan_text.to_mut().make_ascii_lowercase();
        }
        let mut hits = Vec::new();
        self.scanner(scale)
            .for_each(&scan_text, |start, end, entry| {
                if is_word_bounded(&scan_text, start, end) {
                    hits.push(LexiconHit {
                        start,
                        end,
                        code: self.entries()[entry].0.clone(),
                    });
                }
            });
        hits
    }
}

impl Contents {
    fn parse(
        file: &str,
        text: &str,
        options: LexiconOptions,
    ) -> Result<Contents, Vec<RuleProblem>> {
        let mut problems = Vec::new();
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut table = HashMap::new();
        for (line_index, line) in text.split_inclusive('\n').enumerate() {
            let content = line.trim_end_matches(['\n', '\r']);
            if content.trim().is_empty() || content.starts_with('#') {
                continue;
            }
            let mut cells = content.split('\t');
            let code = cells.next().unwrap_or_default().trim();
            // Located only when there is a problem, from the line alone: locating
            // every cell from the file start is quadratic in the file's size.
            let at = |col_offset: usize| {
                let mut location = Location::at(file, content, col_offset);
                location.line = line_index + 1;
                location
            };
            if code.is_empty() {
                problems.push(RuleProblem {
                    location: at(0),
                    message: "lexicon line has no code in its first column".into(),
                });
                continue;
            }
            let mut phrases = 0;
            let mut col = code.len() + 1;
            for cell in cells {
                let phrase = cell.trim();
                let cell_at = col;
                col += cell.len() + 1;
                if phrase.is_empty() {
                    continue;
                }
                phrases += 1;
                match table.entry(fold(phrase, options.case_sensitive)) {
                    Entry::Occupied(previous) => {
                        let (other_code, _): &(String, String) = &entries[*previous.get()];
                        if other_code != code {
                            problems.push(RuleProblem {
                                location: at(cell_at),
                                message: format!(
                                    "phrase {phrase:?} is already mapped to {other_code}; a phrase may have one code only"
                                ),
                            });
                        }
                    }
                    Entry::Vacant(slot) => {
                        slot.insert(entries.len());
                        entries.push((code.to_string(), phrase.to_string()));
                    }
                }
            }
            if phrases == 0 {
                problems.push(RuleProblem {
                    location: at(0),
                    message: format!(
                        "lexicon entry {code} has no phrases (expected CODE<TAB>phrase...)"
                    ),
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Contents::build(options, entries, table))
    }

    /// The contents of `entries`, whose phrases `table` already holds: the
    /// table gets their plurals, and `surfaces` every form the table gives
    /// to an entry.
    fn build(
        options: LexiconOptions,
        entries: Vec<(String, String)>,
        mut table: HashMap<String, usize>,
    ) -> Contents {
        let mut surfaces = Vec::with_capacity(entries.len() * 2);
        for (index, (_, phrase)) in entries.iter().enumerate() {
            surfaces.push((phrase.clone(), index));
            // A form already in the table is some entry's phrase, or a form
            // claimed first: plural forms never override a phrase written
            // out in the file.
            if let Some(form) = plural_form(phrase, options.plurals) {
                if let Entry::Vacant(slot) = table.entry(fold(&form, options.case_sensitive)) {
                    slot.insert(index);
                    surfaces.push((form, index));
                }
            }
        }
        Contents {
            entries,
            table,
            surfaces,
        }
    }
}

/// The form under which a phrase is matched besides itself: its plural,
/// when asked.
fn plural_form(phrase: &str, plurals: bool) -> Option<String> {
    let last_is_letter = phrase
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_lowercase());
    if !(plurals && last_is_letter) {
        return None;
    }
    Some(if let Some(stem) = phrase.strip_suffix('y') {
        format!("{stem}ies")
    } else if phrase.ends_with('s') || phrase.ends_with('x') || phrase.ends_with("ch") {
        format!("{phrase}es")
    } else {
        format!("{phrase}s")
    })
}

/// The forms under which a phrase is matched: itself, and its plural when asked.
fn surface_forms(phrase: &str, plurals: bool) -> impl Iterator<Item = String> + '_ {
    std::iter::once(phrase.to_string()).chain(plural_form(phrase, plurals))
}

/// The key under which a phrase is stored: spaces squeezed, apostrophes
/// unified, and lowercased unless the lexicon is case-sensitive.
pub fn fold(phrase: &str, case_sensitive: bool) -> String {
    with_folded(phrase, case_sensitive, str::to_string)
}

/// Calls `use_key` with [`fold`]'s key for `phrase`. Looking a mention up
/// is one call per mention found: nearly every phrase is ASCII words one
/// space apart, and its key is then the phrase itself or its lowercase,
/// made here without allocating.
fn with_folded<R>(phrase: &str, case_sensitive: bool, use_key: impl FnOnce(&str) -> R) -> R {
    /// Longer phrases are lowercased on the heap.
    const ON_STACK: usize = 64;
    if single_spaced(phrase, |c| c.is_ascii_graphic()) {
        if case_sensitive || !phrase.bytes().any(|b| b.is_ascii_uppercase()) {
            return use_key(phrase);
        }
        if phrase.len() <= ON_STACK {
            let mut buffer = [0u8; ON_STACK];
            let lowered = &mut buffer[..phrase.len()];
            lowered.copy_from_slice(phrase.as_bytes());
            lowered.make_ascii_lowercase();
            let key = std::str::from_utf8(lowered).expect("ASCII stays UTF-8 when lowercased");
            return use_key(key);
        }
        return use_key(&phrase.to_ascii_lowercase());
    }
    let out = squeeze(phrase).replace('\u{2019}', "'");
    if case_sensitive {
        use_key(&out)
    } else {
        use_key(&out.to_lowercase())
    }
}

/// Typographic apostrophes are three bytes and ASCII ones one; the scanner
/// matches ASCII forms, so replace each with `'` padded to the same length
/// (offsets stay valid).
fn normalize_apostrophes(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\u{2019}') {
        std::borrow::Cow::Owned(text.replace('\u{2019}', "'\u{0}\u{0}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn is_word_bounded(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key as folding defined it before its one-pass form.
    fn fold_any(phrase: &str, case_sensitive: bool) -> String {
        let squeezed: Vec<&str> = phrase.split_whitespace().collect();
        let joined = squeezed.join(" ").replace('\u{2019}', "'");
        if case_sensitive {
            joined
        } else {
            joined.to_lowercase()
        }
    }

    proptest::proptest! {
        #[test]
        fn folding_takes_its_shortcuts_to_the_same_key(
            phrase in "[aB' \t\n\u{b}\u{2019}\u{e9}\u{a0}]{0,8}",
            case_sensitive in proptest::prelude::any::<bool>(),
        ) {
            proptest::prop_assert_eq!(fold(&phrase, case_sensitive), fold_any(&phrase, case_sensitive));
        }
    }

    #[test]
    fn folding_ascii_takes_a_shortcut_to_the_same_key() {
        for phrase in [
            "Driving  Under the\tInfluence ",
            " DUI\u{b}x",
            "O'Neil",
            "a\n\nb",
            "",
            "   ",
        ] {
            for case_sensitive in [false, true] {
                assert_eq!(
                    super::fold(phrase, case_sensitive),
                    fold_any(phrase, case_sensitive),
                    "{phrase:?}"
                );
            }
        }
    }

    fn offences() -> Lexicon {
        let text = "# comment\n35A\tdrug possession\tPWID\n220\tburglary\n240\tvehicle theft\n23H\ttheft\n";
        let options = LexiconOptions {
            case_sensitive: false,
            plurals: true,
        };
        Lexicon::parse("OFFENCE", "offences.tsv", text, options).unwrap()
    }

    #[test]
    fn lookup_folds_case_space_and_plurals() {
        let lex = offences();
        assert_eq!(lex.lookup("Drug  Possession"), Some("35A"));
        assert_eq!(lex.lookup("burglaries"), Some("220"));
        assert_eq!(lex.lookup("arson"), None);
    }

    #[test]
    fn a_phrase_written_out_keeps_its_code_against_an_earlier_plural() {
        let options = LexiconOptions {
            case_sensitive: false,
            plurals: true,
        };
        let lex = Lexicon::parse("X", "x.tsv", "A\tcat\nB\tcats\n", options).unwrap();
        assert_eq!(lex.lookup("cats"), Some("B"));
        assert_eq!(lex.lookup("cat"), Some("A"));
        for scale in SCALES {
            let codes: Vec<String> = lex
                .scan("cats", scale)
                .into_iter()
                .map(|h| h.code)
                .collect();
            assert_eq!(codes, ["B"], "{scale:?}");
        }
    }

    const SCALES: [Scale; 2] = [Scale::Small, Scale::Large];

    #[test]
    fn scan_prefers_longest_and_whole_words() {
        let lex = offences();
        for scale in SCALES {
            let hits = lex.scan("vehicle theft, burglaries and theftx or PWID", scale);
            let codes: Vec<&str> = hits.iter().map(|h| h.code.as_str()).collect();
            assert_eq!(codes, ["240", "220", "35A"], "{scale:?}");
        }
    }

    #[test]
    fn scan_offsets_survive_typographic_apostrophes() {
        let text = "\u{2019}s burglary";
        for scale in SCALES {
            let hits = offences().scan(text, scale);
            assert_eq!(&text[hits[0].start..hits[0].end], "burglary");
        }
    }

    proptest::proptest! {
        /// Text made of the offence lexicon's phrases, their pieces and
        /// what stands around them: both scanners find the same hits.
        #[test]
        fn both_scanners_find_the_same_phrases(
            pieces in proptest::collection::vec((0usize..10_000, 0usize..4, 0usize..12), 0..12)
        ) {
            let lex = &crate::rules::Pack::embedded_shared().lexicons["OFFENCE"];
            let entries = lex.entries();
            let joiners = [" ", ", ", "s", "es", "-", "x", "'", "\u{2019}", "ies ", "", ". ", " and "];
            let phrases: Vec<&str> = entries.iter().map(|e| e.1.as_str()).collect();
            let text = crate::sorted::text_of_pieces(&phrases, &pieces, &joiners);
            proptest::prop_assert_eq!(lex.scan(&text, Scale::Small), lex.scan(&text, Scale::Large));
        }
    }

    #[test]
    fn duplicate_phrase_with_two_codes_is_located() {
        let text = "A\tone\nB\ttwo\tone\n";
        let err = Lexicon::parse("X", "x.tsv", text, LexiconOptions::default()).unwrap_err();
        assert_eq!(err[0].location.to_string(), "x.tsv:2:7");
        assert!(err[0].message.contains("already mapped to A"));
    }

    #[test]
    fn alternation_puts_longest_first_and_respects_code() {
        let lex = offences();
        let all = regex::Regex::new(&lex.alternation(None).unwrap()).unwrap();
        let found = |text: &str| all.find(text).map(|m| m.as_str().to_string());
        assert_eq!(
            found("a Vehicle Thefts case").as_deref(),
            Some("Vehicle Thefts")
        );
        assert_eq!(found("two burglaries").as_deref(), Some("burglaries"));
        let one = lex.alternation(Some("220")).unwrap();
        // Common prefixes are factored out, longest rest first.
        assert_eq!(one, "(?iu-x:burglar(?:ies|y))");
        assert!(lex.alternation(Some("999")).is_none());
    }
}
