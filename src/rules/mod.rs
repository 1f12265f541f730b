//! Rule packs: loading, validating and compiling the files under `rules/`.
//!
//! In: a pack's files (a folder on disk, or the default pack embedded in the
//! binary): `pack.toml` (lexicons, sub-patterns, segmentation and assembly
//! settings) and any number of rule files (`*.toml` holding `[[rule]]`
//! tables and `[patterns]`). Out: a [`Pack`] of compiled [`Rule`]s and
//! [`Lexicon`]s, or a [`RuleError`] listing every problem as `file:line:col`.
//!
//! Rules are data: the engine knows fields and normalizers, never domain words.

pub mod ahead;
mod alternation;
pub mod embedded;
pub mod expand;
pub mod lead;
pub mod lexicon;
mod schema;
mod splice;
pub mod split;
pub mod starts;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use regex_automata::meta::{self, Regex};

use crate::built::BuiltOnce;
use crate::error::{Location, RuleError, RuleProblem};
use crate::mention::{Field, Value};
use crate::normalize::{Normalizer, NormalizerConfig};
pub use lexicon::Lexicon;
use schema::{RawExample, RawPack, RawRule, RawRuleFile};

/// The manifest's file name inside a pack.
pub const MANIFEST: &str = "pack.toml";

/// Regex compilation limits: generous, because lexicon alternations are large,
/// but bounded so a runaway pattern is reported instead of eating memory.
const REGEX_SIZE_LIMIT: usize = 64 << 20;
const REGEX_DFA_SIZE_LIMIT: usize = 2 << 20;

/// A rule's regex, compiled when first used: a small article touches few
/// rules, so start-up does not pay for compiling all of them. Packs loaded
/// from a folder are compiled eagerly, so their errors are reported at load.
#[derive(Debug)]
pub struct LazyRegex {
    expansion: Expansion,
    /// Compiled once per [`Scale`] (indexed by it): threads that need it
    /// meanwhile wait instead of compiling it again (every thread of a
    /// batch starts on the same rules); threads preparing rules ahead of
    /// use pass over it (see [`Pack::prepare`]).
    compiled: [BuiltOnce<Result<Regex, Box<meta::BuildError>>>; 2],
    /// The pattern cut around its value group, for [`Scale::Large`].
    split: BuiltOnce<Option<split::Split>>,
    /// What comes before its literals, for [`Scale::Large`] (see [`lead`]).
    lead: BuiltOnce<Option<Box<lead::Lead>>>,
    /// What its matches look like: set by the first compilation, from the
    /// tree it compiles.
    shape: std::sync::OnceLock<MatchShape>,
}

/// What a rule's syntax tree tells about its matches.
#[derive(Debug)]
struct MatchShape {
    /// Where they can start, when that is known (see [`starts`]).
    starts: Option<starts::Starts>,
    /// The capture group that is every match whole (see [`group_spanning_match`]).
    whole_group: Option<u32>,
}

/// The scale of input a pack's rules (and lexicon scanners) are built for.
/// Either way a rule finds exactly the same matches (the regex crate's
/// engines agree on every search); the two differ in what they cost to
/// build and to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// A few articles (or rule examples), where building the rules is most
    /// of the work: regexes carry only the bounded backtracker and the
    /// PikeVM, built from the forward NFA alone (a quarter less to build,
    /// slower per byte searched).
    Small,
    /// Batches, where searching is most of the work: regexes also carry
    /// the lazy DFA, forward and reverse (which takes a second NFA, of the
    /// reversed pattern).
    #[default]
    Large,
}

impl Scale {
    /// Input from this size on is [`Scale::Large`]: on news articles the
    /// two break even between 0.5 and 1 MB.
    pub const LARGE_FROM: u64 = 512 << 10;

    /// The scale of `bytes` of input in all.
    pub fn of_input(bytes: u64) -> Scale {
        if bytes < Scale::LARGE_FROM {
            Scale::Small
        } else {
            Scale::Large
        }
    }
}

/// A rule's pattern with its references written out, now or on first use.
#[derive(Debug)]
enum Expansion {
    /// Expanded at load.
    Done(Expanded),
    /// Expanded on first use: the embedded pack, whose rules are known to
    /// expand (see [`ahead`]), so loading it leaves this to the rules used.
    Deferred {
        pattern: String,
        defs: Arc<PackDefs>,
        expanded: std::sync::OnceLock<Expanded>,
    },
}

/// A pattern expanded.
#[derive(Debug)]
struct Expanded {
    /// Every reference written out: the pattern the rule stands for.
    source: String,
    /// The pattern with its lexicon alternations as placeholders, and the
    /// alternations' syntax trees (see [`splice`]): the cheaper way to the
    /// same syntax tree.
    skeleton: Option<(String, Arc<splice::Parts>)>,
}

/// What a pattern's references can name: a pack's sub-patterns and lexicons.
#[derive(Debug)]
struct PackDefs {
    subpatterns: Arc<BTreeMap<String, SubPattern>>,
    lexicons: Arc<BTreeMap<String, Lexicon>>,
    /// The pack's own patterns use the placeholders' characters, so
    /// alternations are written out in place.
    plane_used: bool,
    /// What expanding rules on first use has built so far, for the next
    /// rules: the alternations registered and the references expanded.
    /// Rules share lexicons, whose alternations are costly to write.
    built: std::sync::Mutex<(splice::Registry, BTreeMap<String, String>)>,
}

impl PackDefs {
    fn new(
        subpatterns: BTreeMap<String, SubPattern>,
        lexicons: Arc<BTreeMap<String, Lexicon>>,
        plane_used: bool,
    ) -> PackDefs {
        PackDefs {
            subpatterns: Arc::new(subpatterns),
            lexicons,
            plane_used,
            built: Default::default(),
        }
    }

    /// Expands `pattern`, known to expand (the embedded pack's).
    fn expand(&self, pattern: &str) -> Expanded {
        self.try_expand(pattern)
            .unwrap_or_else(|message| panic!("an embedded pattern expands: {message}"))
    }

    /// Expands `pattern` with every reference written out, and (unless the
    /// pack uses the placeholders' plane) its skeleton, or says why it
    /// does not expand. Every rule of the pack, expanded at load or on
    /// first use, goes through here, so each alternation is registered and
    /// each reference expanded once.
    fn try_expand(&self, pattern: &str) -> Result<Expanded, String> {
        // A thread that panicked while expanding may have left the cached
        // expansions naming alternations the registry lost: start afresh.
        let mut built = self.built.lock().unwrap_or_else(|poisoned| {
            let mut built = poisoned.into_inner();
            *built = Default::default();
            built
        });
        let (registry, expansions) = &mut *built;
        let registry = std::cell::RefCell::new(std::mem::take(registry));
        let defs = Defs {
            subpatterns: &self.subpatterns,
            lexicons: &self.lexicons,
            registry: (!self.plane_used).then_some(&registry),
        };
        let result = expand_rule(pattern, &defs, expansions);
        let registry = registry.into_inner();
        let parts = Arc::new(registry.parts());
        built.0 = registry;
        let (source, skeleton) = result?;
        Ok(Expanded {
            source,
            skeleton: skeleton.map(|s| (s, parts)),
        })
    }
}

impl LazyRegex {
    fn new(expanded: Expanded) -> LazyRegex {
        LazyRegex::with(Expansion::Done(expanded))
    }

    fn deferred(pattern: String, defs: Arc<PackDefs>) -> LazyRegex {
        LazyRegex::with(Expansion::Deferred {
            pattern,
            defs,
            expanded: std::sync::OnceLock::new(),
        })
    }

    fn with(expansion: Expansion) -> LazyRegex {
        LazyRegex {
            expansion,
            compiled: Default::default(),
            split: Default::default(),
            lead: Default::default(),
            shape: Default::default(),
        }
    }

    fn expanded(&self) -> &Expanded {
        match &self.expansion {
            Expansion::Done(expanded) => expanded,
            Expansion::Deferred {
                pattern,
                defs,
                expanded,
            } => expanded.get_or_init(|| defs.expand(pattern)),
        }
    }

    /// Compiles now for `scale`, returning the regex engine's error if it fails.
    fn force(&self, scale: Scale) -> Result<&Regex, &meta::BuildError> {
        self.compiled[scale as usize]
            .get_or_build(|| self.compile(scale))
            .as_ref()
            .map_err(|e| &**e)
    }

    /// Compiles now for `scale`, unless some thread has begun to (see
    /// [`Pack::prepare`]).
    fn prepare(&self, scale: Scale) {
        self.compiled[scale as usize].get_unless_building(|| self.compile(scale));
    }

    /// True while another thread compiles it for `scale`.
    pub fn is_compiling(&self, scale: Scale) -> bool {
        self.compiled[scale as usize].is_building()
    }

    fn compile(&self, scale: Scale) -> Result<Regex, Box<meta::BuildError>> {
        let builder = regex_builder(scale);
        // The tree the engine would parse, parsed here so that its starts
        // are read off it; a pattern that does not parse is left to the
        // engine, for its error.
        match self.tree() {
            Some(tree) => {
                self.shape.get_or_init(|| MatchShape {
                    starts: starts::Starts::of(&tree),
                    whole_group: group_spanning_match(&tree),
                });
                builder.build_from_hir(&tree)
            }
            None => builder.build(&self.expanded().source),
        }
        .map_err(Box::new)
    }

    /// The syntax tree from the skeleton and the pack's parsed
    /// alternations, when the splice can vouch for it (see [`splice`]).
    fn spliced_tree(&self) -> Option<regex_syntax::hir::Hir> {
        let (skeleton, parts) = self.expanded().skeleton.as_ref()?;
        parts.parse(skeleton)
    }

    /// Its syntax tree, spliced or else parsed, with ASCII letters
    /// case-folded to ASCII only (see [`ascii_case_folds`]); `None` when
    /// the pattern does not parse.
    fn tree(&self) -> Option<regex_syntax::hir::Hir> {
        self.spliced_tree().or_else(|| {
            let tree = splice::parser().parse(self.as_str()).ok()?;
            Some(ascii_case_folds(tree))
        })
    }

    /// The pattern cut around capture group `index`, built for
    /// [`Scale::Large`] on first use (see [`split`]): `Some(None)` when the
    /// group is not one part of the pattern's top-level concatenation,
    /// `None` while another thread builds it (a split only speeds the
    /// search up: see [`BuiltOnce`]).
    pub fn split(&self, index: usize) -> Option<Option<&split::Split>> {
        let build = || {
            let tree = self.tree()?;
            split::Split::new(
                &tree,
                u32::try_from(index).ok()?,
                &regex_builder(Scale::Large),
            )
        };
        self.split.get_unless_building(build).map(Option::as_ref)
    }

    /// Its lead (see [`lead`]) from part `factor` of its top-level
    /// concatenation, built now if no thread has begun building it:
    /// `Some(None)` when it has none, `None` while another thread builds
    /// it (a lead only speeds the search up: see [`BuiltOnce`]).
    pub fn lead(&self, factor: usize, lead_ins: &[String]) -> Option<Option<&lead::Lead>> {
        let build = || lead::Lead::new(&self.tree()?, factor, lead_ins).map(Box::new);
        self.lead.get_unless_building(build).map(Option::as_deref)
    }

    /// The regex compiled for `scale` (now, if not yet).
    ///
    /// Packs are checked by compiling for [`Scale::Small`] (at load for a
    /// folder's, by `cargo test` for the embedded one). The lazy DFA also
    /// needs the reversed pattern's NFA, which can exceed the size limit
    /// where the forward one did not (a literal alternation is a compact
    /// trie forwards only): the NFA engines then search alone.
    pub fn get(&self, scale: Scale) -> &Regex {
        match (self.force(scale), scale) {
            (Ok(regex), _) => regex,
            (Err(_), Scale::Large) => self.get(Scale::Small),
            (Err(e), Scale::Small) => {
                panic!("a pack's rules compile (checked at load, or by cargo test): {e}")
            }
        }
    }

    /// Where its matches can start, when that is known: after it was
    /// compiled (see [`LazyRegex::get`]).
    pub fn starts(&self) -> Option<&starts::Starts> {
        self.shape.get().and_then(|shape| shape.starts.as_ref())
    }

    /// True when capture group `index` is every match whole, so a search
    /// for the match alone finds it: known after it was compiled (see
    /// [`LazyRegex::get`]). Group 0 is the match.
    pub fn group_is_match(&self, index: usize) -> bool {
        index == 0
            || self.shape.get().and_then(|shape| shape.whole_group) == u32::try_from(index).ok()
    }

    /// The expanded source.
    pub fn as_str(&self) -> &str {
        &self.expanded().source
    }

    /// Whether it has been compiled for `scale` yet.
    pub fn is_compiled(&self, scale: Scale) -> bool {
        self.compiled[scale as usize].get().is_some()
    }
}

/// The capture group that is every match of `tree` whole: the group with
/// nothing but zero-width assertions (`\b`, `^`) around it, as in
/// `\b(?P<value>he|she)\b`. Such a rule's value comes with the match, and
/// a capture search (the one-pass DFA or the backtracker after the lazy
/// DFA) would only find the same span again.
fn group_spanning_match(tree: &regex_syntax::hir::Hir) -> Option<u32> {
    use regex_syntax::hir::HirKind;
    match tree.kind() {
        HirKind::Capture(capture) => Some(capture.index),
        HirKind::Concat(parts) => {
            let mut group = None;
            for part in parts {
                match part.kind() {
                    HirKind::Look(_) => {}
                    HirKind::Capture(capture) if group.is_none() => group = Some(capture.index),
                    _ => return None,
                }
            }
            group
        }
        _ => None,
    }
}

/// The regex crate's own engine, used directly because the matcher searches
/// spans of a sentence (the `regex` API only sets where a search starts).
/// Configured as `regex::RegexBuilder::{size_limit, dfa_size_limit}` would,
/// with the lazy DFA (and the full DFA the crate builds for tiny patterns)
/// only for [`Scale::Large`]: without them the crate builds no reversed NFA.
/// The one-pass DFA serves only anchored searches: the large scale's split
/// (see [`split`]), and patterns written with `^`, which the backtracker
/// searches as fast within a sentence. Building it cost a small article 1%
/// of its instructions.
fn regex_builder(scale: Scale) -> meta::Builder {
    let dfas = scale == Scale::Large;
    let config = meta::Config::new()
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .hybrid_cache_capacity(REGEX_DFA_SIZE_LIMIT)
        .hybrid(dfas)
        .dfa(dfas)
        .onepass(dfas)
        // The pack's own prefilter already chose where each regex runs; the
        // engine's literal prefilter would only cost build time (a third of
        // it) and slow the search of those short windows (~10% on 64 MB).
        .auto_prefilter(false);
    let mut builder = meta::Builder::new();
    builder.configure(config);
    builder
}

/// The prefilter of `rules`.
pub(crate) fn prefilter_of(rules: &[Rule]) -> crate::prefilter::Prefilter {
    crate::prefilter::Prefilter::new(
        &rules.iter().map(|r| r.literals.clone()).collect::<Vec<_>>(),
        &rules.iter().map(|r| r.max_len).collect::<Vec<_>>(),
        // Rules with a lead rule hits out one by one, and rules whose
        // matches start at their hits try each (see the matcher).
        &rules
            .iter()
            .map(|r| r.factor.is_some() || r.starts_at_its_literals())
            .collect::<Vec<_>>(),
    )
}

/// Where a rule applies relative to the mentions it steers (cue rules only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The cue affects what follows it in its sentence.
    #[default]
    Following,
    /// The cue affects its whole sentence.
    Sentence,
}

/// An example from a rule file: a text and the values the rule must give
/// (or, for a counter-example, no value at all).
#[derive(Debug, Clone)]
pub struct Example {
    /// The example text.
    pub text: String,
    /// Values that must all be produced; empty for counter-examples.
    pub expect: Vec<Value>,
    /// Where the example is written.
    pub location: Location,
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Unique id ("age.hyphenated"), reported as provenance.
    pub id: String,
    /// The field it sets.
    pub field: Field,
    /// The fully expanded pattern, compiled on first use (see [`LazyRegex`]).
    pub regex: LazyRegex,
    /// The pattern as written (before expansion).
    pub source: String,
    /// Capture group holding the value (0 = the whole match).
    pub capture: usize,
    /// How the captured text becomes a value.
    pub normalizer: Normalizer,
    /// When set, every phrase of this lexicon inside the capture is one mention.
    pub each: Option<String>,
    /// Higher wins when one subject gets two values for a single-valued field.
    pub priority: i32,
    /// For cue rules: what part of the sentence the cue governs.
    pub scope: Scope,
    /// For veto rules: the fields whose mentions inside the match are dropped.
    pub vetoes: Vec<Field>,
    /// A subject opened by this rule stays in focus for the whole document
    /// (one-person reports with a field block at the top).
    pub anchors_document: bool,
    /// Integer values outside this inclusive range are dropped (ages 1..110, counts from 2).
    pub range: Option<(i64, i64)>,
    /// Literals one of which every match contains (lowercase), found by the
    /// prefilter analysis; `None` when the rule must run on every sentence.
    pub literals: Option<Vec<crate::prefilter::Literal>>,
    /// The longest match possible, in bytes, when the pattern bounds it:
    /// then a match holding a literal lies within this distance of it.
    pub max_len: Option<usize>,
    /// The most bytes a match can hold before the occurrence of its literal
    /// that the prefilter reports (`None`: no bound, or no literals).
    pub reach_back: Option<usize>,
    /// The part of the pattern's top-level concatenation where its literals
    /// start, when the rule has a lead (see [`lead`] and
    /// [`crate::prefilter::Requirement::factor`]).
    pub factor: Option<usize>,
    /// See [`crate::prefilter::Requirement::lead_ins`].
    pub lead_ins: Vec<String>,
    /// Positive examples.
    pub examples: Vec<Example>,
    /// Texts that must give nothing.
    pub counter_examples: Vec<Example>,
    /// Where the rule is written.
    pub location: Location,
    /// Optional human description.
    pub description: Option<String>,
}

impl Rule {
    /// True when every match starts where one of its literals does (it
    /// reaches back 0 bytes): the matcher tries each hit with an anchored
    /// search, so the prefilter gives it every hit of a sentence.
    pub fn starts_at_its_literals(&self) -> bool {
        self.reach_back == Some(0)
    }

    /// Its lead (see [`lead`]), built now if no thread has begun building
    /// it: `Some(None)` when it has none, `None` while another thread
    /// builds it.
    pub fn lead(&self) -> Option<Option<&lead::Lead>> {
        match self.factor {
            Some(factor) => self.regex.lead(factor, &self.lead_ins),
            None => Some(None),
        }
    }
}

/// Sentence segmentation settings.
#[derive(Debug, Clone, Default)]
pub struct SegmentConfig {
    /// Tokens ending in '.' that do not end a sentence ("U.S.", "Mr.", "Jan."),
    /// sorted: they are looked up by binary search.
    pub abbreviations: Vec<String>,
}

/// Subject assembly settings.
#[derive(Debug, Clone)]
pub struct AssemblyConfig {
    /// How many sentences after its subject's latest mention an attribute may still attach.
    pub window: usize,
    /// Descriptors closer than this many bytes in one sentence describe one person.
    pub complete_within: usize,
}

impl Default for AssemblyConfig {
    fn default() -> Self {
        AssemblyConfig {
            window: 2,
            complete_within: 80,
        }
    }
}

/// A sub-pattern definition with its location.
#[derive(Debug, Clone)]
pub struct SubPattern {
    /// The raw source.
    pub source: String,
    /// Where it is defined.
    pub location: Location,
}

/// A loaded, compiled rule pack.
#[derive(Debug)]
pub struct Pack {
    /// The pack's name from the manifest.
    pub name: String,
    /// The pack's version from the manifest.
    pub version: String,
    /// Rules in file order (files sorted by name).
    pub rules: Vec<Rule>,
    /// Lexicons by name.
    pub lexicons: Arc<BTreeMap<String, Lexicon>>,
    /// Named sub-patterns by name.
    pub subpatterns: Arc<BTreeMap<String, SubPattern>>,
    /// Segmentation settings.
    pub segment: SegmentConfig,
    /// Assembly settings.
    pub assembly: AssemblyConfig,
    /// Which lexicons the normalizers read.
    pub normalizers: NormalizerConfig,
    /// Lexicon labels: codes of one lexicon mapped to names in another
    /// (charge code -> offence name), by field.
    pub labels: BTreeMap<Field, String>,
    /// Which rules can match which sentences, from one literal scan.
    pub prefilter: crate::prefilter::Prefilter,
}

/// The files of a pack, by path relative to the pack root ("rules.toml", "lexicons/x.tsv").
#[derive(Debug, Clone, Default)]
pub struct PackFiles {
    /// Path -> contents, sorted by path.
    pub files: BTreeMap<String, String>,
    /// How to name a file in messages: the pack root as the user gave it.
    pub root: String,
}

impl PackFiles {
    /// Reads every `.toml` and `.tsv` file under `dir` (recursively).
    pub fn read_dir(dir: &Path) -> Result<PackFiles, RuleError> {
        let mut files = BTreeMap::new();
        read_tree(dir, dir, &mut files)?;
        if !files.contains_key(MANIFEST) {
            return Err(RuleError::Io {
                path: dir.join(MANIFEST),
                message: "no pack.toml: a rule pack folder needs a manifest (see rules/pack.toml)"
                    .into(),
            });
        }
        let root = dir.display().to_string();
        Ok(PackFiles { files, root })
    }

    /// The display name of a file in this pack ("rules/age.toml").
    pub fn display(&self, path: &str) -> String {
        if self.root.is_empty() {
            path.to_string()
        } else {
            format!("{}/{}", self.root.trim_end_matches('/'), path)
        }
    }
}

fn read_tree(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, String>,
) -> Result<(), RuleError> {
    let io = |path: &Path, e: std::io::Error| RuleError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| io(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            read_tree(root, &path, files)?;
            continue;
        }
        let ext = path.extension().and_then(|e| e.to_str());
        if !matches!(ext, Some("toml" | "tsv")) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let text = String::from_utf8(bytes).map_err(|e| {
            // The bytes before the bad one are valid: locate it in them.
            let offset = e.utf8_error().valid_up_to();
            let before = std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or_default();
            RuleError::Invalid(vec![RuleProblem {
                location: Location::at(&path.display().to_string(), before, offset),
                message: format!(
                    "file is not valid UTF-8 (first bad byte at offset {offset}); save it as UTF-8"
                ),
            }])
        })?;
        files.insert(relative, text);
    }
    Ok(())
}

impl Pack {
    /// Loads the default pack compiled into the binary. Its regexes compile
    /// on first use (every one of them is compiled by `cargo test`); when
    /// [`ahead`] holds the analysis of exactly these files, its rules expand
    /// and its lexicons parse on first use too.
    pub fn embedded() -> Result<Pack, RuleError> {
        let files = embedded::files();
        let mut loader = Loader::new(&files, false);
        loader.shapes = ahead::Analyses::embedded_for(&files);
        loader.load()
    }

    /// The embedded pack, loaded once for all the unit tests that share it.
    #[cfg(test)]
    pub(crate) fn embedded_shared() -> &'static Pack {
        static PACK: std::sync::LazyLock<Pack> =
            std::sync::LazyLock::new(|| Pack::embedded().expect("the embedded pack loads"));
        &PACK
    }

    /// A fresh analysis of every embedded rule, as [`ahead`] keeps it.
    pub fn analyse_embedded() -> Result<ahead::Analyses, RuleError> {
        let files = embedded::files();
        let pack = Loader::new(&files, false).load()?;
        let mut analyses = ahead::Analyses::new(&files);
        for rule in &pack.rules {
            let shape = analyse(&rule.id, &rule.regex, false)
                .expect("a loaded rule's pattern parses, as it did at load");
            analyses.insert(&rule.id, shape);
        }
        Ok(analyses)
    }

    /// Loads a pack from a folder.
    pub fn from_dir(dir: &Path) -> Result<Pack, RuleError> {
        Pack::from_files(&PackFiles::read_dir(dir)?)
    }

    /// Loads a pack from its files: parses, expands and compiles everything,
    /// collecting every problem before failing.
    pub fn from_files(files: &PackFiles) -> Result<Pack, RuleError> {
        Loader::new(files, true).load()
    }

    /// Builds, side by side on up to `threads` threads (the caller's and
    /// threads of this call's own), what matching `rules` needs and nobody
    /// has built yet for `scale`: their regexes and the scanners of their
    /// `each` lexicons. Compiling the few dozen rules a small article
    /// touches is most of its run time, one rule after another; a batch
    /// pays this once, for its first documents. With one thread, each is
    /// built when first used, as ever.
    pub fn prepare(&self, rules: &[usize], threads: usize, scale: Scale) {
        if threads <= 1 {
            return;
        }
        let rules: Vec<&Rule> = rules.iter().map(|&i| &self.rules[i]).collect();
        // Each scanner is one item, however many rules share its lexicon
        // (the rules of a field often do): a thread that met it inside a
        // rule's item would wait for whoever builds it. Scanners are the
        // costliest items, so they start first and never end up last on
        // one thread while the others wait. Threads of other documents
        // preparing at the same time pass over what these have begun, and
        // these over theirs: none waits here for another's build.
        let mut scanners: Vec<&Lexicon> = rules
            .iter()
            .filter_map(|rule| self.lexicons.get(rule.each.as_deref()?))
            .filter(|lexicon| !lexicon.scanner_built(scale))
            .collect();
        scanners.sort_by(|a, b| a.name.cmp(&b.name));
        scanners.dedup_by(|a, b| a.name == b.name);
        let items: Vec<Build> = scanners
            .into_iter()
            .map(Build::Scanner)
            .chain(
                rules
                    .into_iter()
                    .filter(|rule| !rule.regex.is_compiled(scale))
                    .map(|rule| Build::Regex(&rule.regex)),
            )
            .collect();
        if items.len() < 2 {
            return;
        }
        in_parallel(&items, threads, |item| match item {
            Build::Scanner(lexicon) => lexicon.prepare(scale),
            // A regex that fails to compile reports it where it is used.
            Build::Regex(regex) => regex.prepare(scale),
        });
    }

    /// True while another thread builds what rule `index` needs for
    /// `scale` (its regex, its lexicon's scanner) ahead of use.
    pub fn is_building(&self, index: usize, scale: Scale) -> bool {
        let rule = &self.rules[index];
        rule.regex.is_compiling(scale)
            || rule
                .each
                .as_deref()
                .and_then(|name| self.lexicons.get(name))
                .is_some_and(|lexicon| lexicon.scanner_building(scale))
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Something [`Pack::prepare`] builds.
enum Build<'a> {
    Scanner(&'a Lexicon),
    Regex(&'a LazyRegex),
}

struct Loader<'a> {
    files: &'a PackFiles,
    problems: Vec<RuleProblem>,
    /// Line starts of every TOML file: every rule is located, so locating
    /// must not rescan a large file from the top each time.
    line_indexes: BTreeMap<String, crate::error::LineIndex>,
    /// Compile every regex at load (user packs) or on first use (embedded).
    eager: bool,
    /// Every rule's shape, analysed ahead of time for exactly these files
    /// (the embedded pack's): rules are then expanded on first use.
    shapes: Option<BTreeMap<String, Shape>>,
}

impl<'a> Loader<'a> {
    fn new(files: &'a PackFiles, eager: bool) -> Self {
        Loader {
            files,
            problems: Vec::new(),
            line_indexes: files
                .files
                .iter()
                .filter(|(path, _)| path.ends_with(".toml"))
                .map(|(path, text)| (path.clone(), crate::error::LineIndex::new(text)))
                .collect(),
            eager,
            shapes: None,
        }
    }

    fn located(&self, path: &str, offset: usize) -> Location {
        let text = self.files.files.get(path).map_or("", String::as_str);
        let display = self.files.display(path);
        match self.line_indexes.get(path) {
            Some(index) => index.locate(&display, text, offset),
            None => Location::at(&display, text, offset),
        }
    }

    fn problem(&mut self, path: &str, offset: usize, message: impl Into<String>) {
        let location = self.located(path, offset);
        self.problems.push(RuleProblem {
            location,
            message: message.into(),
        });
    }

    fn parse_toml<T: serde::de::DeserializeOwned>(&mut self, path: &str) -> Option<T> {
        let text = self.files.files.get(path)?;
        match toml::from_str::<T>(text) {
            Ok(value) => Some(value),
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                self.problem(path, offset, e.message().trim().to_string());
                None
            }
        }
    }

    fn load(mut self) -> Result<Pack, RuleError> {
        let Some(manifest) = self.parse_toml::<RawPack>(MANIFEST) else {
            if self.problems.is_empty() {
                return Err(RuleError::Io {
                    path: self.files.display(MANIFEST).into(),
                    message: "missing manifest".into(),
                });
            }
            return Err(RuleError::Invalid(self.problems));
        };
        let shapes = self.shapes.take();
        let lexicons = Arc::new(self.load_lexicons(&manifest, shapes.is_some()));
        let mut subpatterns = BTreeMap::new();
        self.collect_subpatterns(MANIFEST, &manifest.patterns, &mut subpatterns);
        let mut raw_rules = Vec::new();
        let rule_files: Vec<String> = self
            .files
            .files
            .keys()
            .filter(|p| p.ends_with(".toml") && p.as_str() != MANIFEST && !p.contains('/'))
            .cloned()
            .collect();
        for path in &rule_files {
            if let Some(file) = self.parse_toml::<RawRuleFile>(path) {
                self.collect_subpatterns(path, &file.patterns, &mut subpatterns);
                raw_rules.extend(file.rule.into_iter().map(|r| (path.clone(), r)));
            }
        }
        // Lexicon alternations become placeholders, unless the pack's own
        // patterns use the placeholders' characters.
        let plane_used = subpatterns.values().any(|s| splice::uses_plane(&s.source))
            || raw_rules
                .iter()
                .any(|(_, r)| splice::uses_plane(r.pattern.get_ref()));
        let defs = Arc::new(PackDefs::new(subpatterns, lexicons.clone(), plane_used));
        let rules = match shapes {
            Some(shapes) => self.deferred_rules(raw_rules, &shapes, &defs),
            None => self.expanded_rules(raw_rules, &defs),
        };
        self.check_labels(&manifest, &lexicons);
        if !self.problems.is_empty() {
            return Err(RuleError::Invalid(self.problems));
        }
        let labels = manifest
            .labels
            .iter()
            .filter_map(|(field, lexicon)| Some((Field::parse(field)?, lexicon.clone())))
            .collect();
        Ok(Pack {
            name: manifest.pack.name,
            version: manifest.pack.version,
            lexicons,
            subpatterns: defs.subpatterns.clone(),
            segment: SegmentConfig {
                abbreviations: {
                    let mut list = manifest.segment.abbreviations;
                    list.sort_unstable();
                    list.dedup();
                    list
                },
            },
            assembly: AssemblyConfig {
                window: manifest.assembly.window,
                complete_within: manifest.assembly.complete_within,
            },
            normalizers: manifest.normalizers,
            labels,
            prefilter: prefilter_of(&rules),
            rules,
        })
    }

    /// Rules expanded and analysed now: every problem is found at load.
    fn expanded_rules(&mut self, raw_rules: Vec<(String, RawRule)>, defs: &PackDefs) -> Vec<Rule> {
        // Three passes, so that the costly part (parsing and analysing each
        // expanded pattern) runs in parallel while problems are still
        // reported rule by rule, in file order.
        let mut ids: BTreeMap<String, Location> = BTreeMap::new();
        let mut pending = Vec::new();
        for (path, raw) in raw_rules {
            let prepared = match self.first_check(&path, &raw, &mut ids) {
                Some((at, message)) => Prepared::Failed { at, message },
                None => match defs.try_expand(raw.pattern.get_ref()) {
                    Ok(expanded) => Prepared::Expanded(Box::new(LazyRegex::new(expanded))),
                    Err(message) => Prepared::Failed {
                        at: raw.pattern.span().start,
                        message: format!("rule {}: {message}", raw.id.get_ref()),
                    },
                },
            };
            pending.push((path, raw, prepared));
        }
        let eager = self.eager;
        let analyses = in_parallel(
            &pending,
            load_threads(),
            |(_, raw, prepared)| match prepared {
                Prepared::Expanded(regex) => Some(analyse(raw.id.get_ref(), regex, eager)),
                Prepared::Failed { .. } => None,
            },
        );
        let mut rules = Vec::new();
        for ((path, raw, prepared), analysis) in pending.into_iter().zip(analyses) {
            match (prepared, analysis) {
                (Prepared::Failed { at, message }, _) => self.problem(&path, at, message),
                (_, Some(Err(message))) => {
                    self.problem(&path, raw.pattern.span().start, message);
                }
                (Prepared::Expanded(regex), Some(Ok(shape))) => {
                    let analysis = Analysis {
                        regex: *regex,
                        shape,
                    };
                    rules.extend(self.compile_rule(&path, raw, analysis, &defs.lexicons));
                }
                (Prepared::Expanded(_), None) => {
                    unreachable!("every expanded rule is analysed")
                }
            }
        }
        rules
    }

    /// Rules whose shapes were analysed ahead of time, expanded on first use.
    fn deferred_rules(
        &mut self,
        raw_rules: Vec<(String, RawRule)>,
        shapes: &BTreeMap<String, Shape>,
        defs: &Arc<PackDefs>,
    ) -> Vec<Rule> {
        let mut ids: BTreeMap<String, Location> = BTreeMap::new();
        let mut rules = Vec::new();
        for (path, raw) in raw_rules {
            if let Some((at, message)) = self.first_check(&path, &raw, &mut ids) {
                self.problem(&path, at, message);
                continue;
            }
            let Some(shape) = shapes.get(raw.id.get_ref()) else {
                // Cannot happen: the shapes were written for these very files.
                let message = format!("rule {}: missing from {}", raw.id.get_ref(), ahead::FILE);
                self.problem(&path, raw.id.span().start, message);
                continue;
            };
            let analysis = Analysis {
                regex: LazyRegex::deferred(raw.pattern.get_ref().clone(), defs.clone()),
                shape: shape.clone(),
            };
            rules.extend(self.compile_rule(&path, raw, analysis, &defs.lexicons));
        }
        rules
    }

    /// What is checked of every rule before its pattern: a unique id and a
    /// known field. A problem comes back as (byte offset, message).
    fn first_check(
        &self,
        path: &str,
        raw: &RawRule,
        ids: &mut BTreeMap<String, Location>,
    ) -> Option<(usize, String)> {
        let id = raw.id.get_ref();
        if let Some(first) = ids.get(id) {
            let message = format!("duplicate rule id {id:?} (first defined at {first})");
            return Some((raw.id.span().start, message));
        }
        ids.insert(id.clone(), self.located(path, raw.id.span().start));
        if Field::parse(raw.field.get_ref()).is_none() {
            let names: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
            let message = format!(
                "rule {id}: unknown field {:?}; use one of {}",
                raw.field.get_ref(),
                names.join(", ")
            );
            return Some((raw.field.span().start, message));
        }
        None
    }

    /// Lexicons parsed now, or (`deferred`, for files known to parse) on first use.
    fn load_lexicons(&mut self, manifest: &RawPack, deferred: bool) -> BTreeMap<String, Lexicon> {
        let mut lexicons = BTreeMap::new();
        for (name, spec) in &manifest.lexicons {
            let file = spec.get_ref().file.clone();
            let Some(text) = self.files.files.get(&file) else {
                let message = format!("lexicon {name}: file {file:?} not found in the pack");
                self.problem(MANIFEST, spec.span().start, message);
                continue;
            };
            let display = self.files.display(&file);
            let options = spec.get_ref().options();
            if deferred {
                lexicons.insert(
                    name.clone(),
                    Lexicon::deferred(name, &display, text, options),
                );
                continue;
            }
            match Lexicon::parse(name, &display, text, options) {
                Ok(lexicon) => {
                    lexicons.insert(name.clone(), lexicon);
                }
                Err(problems) => self.problems.extend(problems),
            }
        }
        lexicons
    }

    fn collect_subpatterns(
        &mut self,
        path: &str,
        raw: &BTreeMap<String, toml::Spanned<String>>,
        into: &mut BTreeMap<String, SubPattern>,
    ) {
        for (name, source) in raw {
            let location = self.located(path, source.span().start);
            if let Some(first) = into.get(name) {
                let message = format!(
                    "sub-pattern {name} is defined twice (first at {})",
                    first.location
                );
                self.problem(path, source.span().start, message);
                continue;
            }
            into.insert(
                name.clone(),
                SubPattern {
                    source: source.get_ref().clone(),
                    location,
                },
            );
        }
    }

    fn compile_rule(
        &mut self,
        path: &str,
        raw: RawRule,
        analysis: Analysis,
        lexicons: &BTreeMap<String, Lexicon>,
    ) -> Option<Rule> {
        let id = raw.id.get_ref().clone();
        let field_at = raw.field.span().start;
        let field = Field::parse(raw.field.get_ref())?;
        let Analysis {
            regex,
            shape:
                Shape {
                    names,
                    literals,
                    max_len,
                    factor,
                    lead_ins,
                },
        } = analysis;
        let capture = match raw.capture.as_ref() {
            Some(name) => match names.iter().find(|(n, _)| n == name.get_ref()) {
                Some((_, i)) => *i,
                None => {
                    let message = format!(
                        "rule {id}: the pattern has no capture group named {:?}",
                        name.get_ref()
                    );
                    self.problem(path, name.span().start, message);
                    return None;
                }
            },
            None => names
                .iter()
                .find(|(n, _)| n == "value")
                .map_or(0, |(_, i)| *i),
        };
        let constant = raw.value.as_ref().and_then(|v| toml_value(v.get_ref()));
        let normalize_name = raw
            .normalize
            .as_ref()
            .map_or("text", |n| n.get_ref().as_str());
        let normalize_at = raw.normalize.as_ref().map_or(field_at, |n| n.span().start);
        let normalizer = match Normalizer::parse(normalize_name, constant) {
            Ok(n) => n,
            Err(message) => {
                self.problem(path, normalize_at, format!("rule {id}: {message}"));
                return None;
            }
        };
        if let Some(lexicon) = normalizer
            .lexicon()
            .or(raw.each.as_ref().map(|e| e.get_ref().as_str()))
        {
            if !lexicons.contains_key(lexicon) {
                let message = format!("rule {id}: unknown lexicon {lexicon:?} (declare it under [lexicons] in pack.toml)");
                self.problem(path, normalize_at, message);
                return None;
            }
        }
        let mut vetoes = Vec::new();
        for name in &raw.vetoes {
            match Field::parse(name.get_ref()) {
                Some(f) => vetoes.push(f),
                None => {
                    self.problem(
                        path,
                        name.span().start,
                        format!("rule {id}: unknown field {:?} in vetoes", name.get_ref()),
                    );
                    return None;
                }
            }
        }
        let scope = match raw.scope.as_deref() {
            None | Some("following") => Scope::Following,
            Some("sentence") => Scope::Sentence,
            Some(other) => {
                self.problem(
                    path,
                    field_at,
                    format!("rule {id}: unknown scope {other:?}; use following or sentence"),
                );
                return None;
            }
        };
        let range = match raw
            .range
            .as_ref()
            .map(|r| (r.span().start, r.get_ref().as_slice()))
        {
            None => None,
            Some((_, &[low, high])) if low <= high => Some((low, high)),
            Some((at, _)) => {
                self.problem(
                    path,
                    at,
                    format!("rule {id}: range must be [low, high] with low <= high"),
                );
                return None;
            }
        };
        let examples = self.examples(path, &id, &raw.examples, false);
        let counter_examples = self.examples(path, &id, &raw.counter_examples, true);
        Some(Rule {
            location: self.located(path, raw.id.span().start),
            id,
            field,
            regex,
            source: raw.pattern.into_inner(),
            capture,
            normalizer,
            each: raw.each.map(|e| e.into_inner()),
            priority: raw.priority,
            scope,
            vetoes,
            anchors_document: raw.anchors_document,
            range,
            reach_back: literals.as_ref().and_then(|set| {
                set.iter()
                    .map(|l| l.reach_back)
                    .try_fold(0, |most, r| Some(most.max(r?)))
            }),
            literals,
            max_len,
            factor,
            lead_ins,
            examples,
            counter_examples,
            description: raw.description,
        })
    }

    fn examples(
        &mut self,
        path: &str,
        id: &str,
        raw: &[toml::Spanned<RawExample>],
        counter: bool,
    ) -> Vec<Example> {
        let mut out = Vec::new();
        for spanned in raw {
            let location = self.located(path, spanned.span().start);
            let (text, expect) = match spanned.get_ref() {
                RawExample::Text(text) => (text.clone(), Vec::new()),
                RawExample::Table { text, value } => (
                    text.clone(),
                    value.as_ref().map_or_else(Vec::new, expect_values),
                ),
            };
            if !counter && expect.is_empty() {
                let message = format!("rule {id}: example {text:?} needs the value it must give (`{{ text = \"...\", value = ... }}`)");
                self.problem(path, spanned.span().start, message);
                continue;
            }
            out.push(Example {
                text,
                expect,
                location,
            });
        }
        out
    }

    fn check_labels(&mut self, manifest: &RawPack, lexicons: &BTreeMap<String, Lexicon>) {
        for (field, lexicon) in &manifest.labels {
            if Field::parse(field).is_none() {
                self.problem(MANIFEST, 0, format!("[labels]: unknown field {field:?}"));
            }
            if !lexicons.contains_key(lexicon) {
                self.problem(
                    MANIFEST,
                    0,
                    format!("[labels]: unknown lexicon {lexicon:?}"),
                );
            }
        }
    }
}

/// The threads loading a pack may use: the machine's cores, up to 8.
fn load_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// `f` over `items`, results in order, on the calling thread and up to
/// `threads - 1` scoped threads of this call's own (a shared pool would
/// make one slow pack load wait for another's). Each thread takes the next
/// item nobody has taken, so one costly item does not hold up the rest.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        // A thread the system refuses (a process limit) leaves its share
        // to the others: the calling thread alone finishes every item.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        let mut parts = vec![work()];
        for helper in helpers {
            parts.push(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        for (i, result) in parts.into_iter().flatten() {
            out[i] = Some(result);
        }
    });
    out.into_iter()
        .map(|r| r.expect("every item is taken by one thread"))
        .collect()
}

/// A rule after its first pass.
enum Prepared {
    /// Its pattern, expanded and ready to parse and compile.
    Expanded(Box<LazyRegex>),
    /// A problem found at byte `at` of the rule file.
    Failed { at: usize, message: String },
}

/// A rule's regex and what parsing its pattern tells.
struct Analysis {
    regex: LazyRegex,
    shape: Shape,
}

/// What parsing a rule's expanded pattern tells: a pure function of the
/// pattern, so rules are analysed in parallel, and the embedded pack's
/// ahead of time ([`ahead`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    /// Capture group names and indexes.
    names: Vec<(String, usize)>,
    literals: Option<Vec<crate::prefilter::Literal>>,
    max_len: Option<usize>,
    /// See [`crate::prefilter::Requirement::factor`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    factor: Option<usize>,
    /// See [`crate::prefilter::Requirement::lead_ins`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lead_ins: Vec<String>,
}

/// Parses a rule's pattern (and compiles it now when `eager`), or says why
/// it cannot be.
fn analyse(id: &str, regex: &LazyRegex, eager: bool) -> Result<Shape, String> {
    let hir = splice::parser()
        .parse(regex.as_str())
        .map_err(|e| format!("rule {id}: invalid regex:\n{e}"))?;
    if eager {
        if let Err(e) = regex.force(Scale::Small) {
            return Err(match (e.size_limit(), e.syntax_error()) {
                (Some(limit), _) => format!(
                    "rule {id}: the expanded pattern is too large for the regex engine (over {limit} bytes compiled); split the rule or use `each` with a lexicon"
                ),
                (None, Some(syntax)) => format!("rule {id}: invalid regex:\n{syntax}"),
                (None, None) => format!("rule {id}: invalid regex:\n{e}"),
            });
        }
    }
    let required = crate::prefilter::requirement_of(&hir);
    // A pattern anchored at its start, or that can start only at a few
    // places (see [`starts`]), is searched there faster than a lead reads
    // back from each of its hits: it gets none.
    let few_starts = hir
        .properties()
        .look_set_prefix()
        .contains(regex_syntax::hir::Look::Start)
        || starts::Starts::of(&hir).is_some();
    let (factor, lead_ins) = match required.factor {
        Some(factor) if !few_starts => (Some(factor), required.lead_ins),
        _ => (None, Vec::new()),
    };
    Ok(Shape {
        names: capture_names(&hir),
        literals: required.literals,
        max_len: hir.properties().maximum_len(),
        factor,
        lead_ins,
    })
}

/// A rule's pattern with every reference written out, and (when `defs`
/// registers alternations) its skeleton, or why it does not expand.
/// `expansions` caches expanded sub-patterns across rules.
fn expand_rule(
    pattern: &str,
    defs: &Defs<'_>,
    expansions: &mut BTreeMap<String, String>,
) -> Result<(String, Option<String>), String> {
    let expanded = ascii_word_boundaries(&expand::expand_cached(pattern, defs, expansions)?);
    let Some(registry) = defs.registry else {
        return Ok((expanded, None));
    };
    let registry = registry.borrow();
    if registry.written_out_len(&expanded) > expand::MAX_EXPANDED {
        return Err(expand::too_large());
    }
    Ok((registry.written_out(&expanded), Some(expanded)))
}

/// `\b` becomes `(?-u:\b)`: a Unicode word boundary stops the regex crate's
/// fast engines on any non-ASCII text (curly quotes are everywhere in news),
/// which costs two orders of magnitude. Letters next to a boundary in our
/// patterns are ASCII, so the meaning is the same. `\s` and `\d` become
/// their ASCII forms too: the matching view has only ASCII spaces inside a
/// sentence, and only ASCII digits normalize, so the meaning is unchanged
/// while the lazy DFA stays small.
fn ascii_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('s') => out.push_str("(?-u:\\s)"),
            Some('d') => out.push_str("(?-u:\\d)"),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `tree` with `(?i)` folding ASCII letters to ASCII letters only: the
/// Kelvin sign (U+212A) no longer matches `k`, nor the long s (U+017F) `s`.
/// Unicode's simple case folding adds those two to every case-insensitive
/// `k` and `s`, and each adds a branch of two or three bytes to the
/// automaton: 3-10% of a rule's states and 4-10 of its byte classes, for
/// letters that news text never uses. A class is left whole when it holds
/// anything else outside ASCII (`[\w]` or a range of Latin letters).
pub(crate) fn ascii_case_folds(tree: regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Hir, HirKind};
    let folded = splice::map_leaves(tree, &mut |leaf| {
        Some(match leaf {
            HirKind::Class(class) => Hir::class(ascii_class_folds(class)),
            other => splice::unchanged(other),
        })
    });
    folded.expect("every leaf maps to a tree")
}

/// `class` without the Kelvin sign and the long s where they stand beside
/// both cases of their ASCII letter, as case folding puts them, when all it
/// holds besides them is ASCII (see [`ascii_case_folds`]).
pub(crate) fn ascii_class_folds(class: regex_syntax::hir::Class) -> regex_syntax::hir::Class {
    use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange};
    let Class::Unicode(unicode) = class else {
        return class;
    };
    let holds = |c: char| {
        unicode
            .ranges()
            .iter()
            .any(|r| (r.start()..=r.end()).contains(&c))
    };
    let folds: Vec<ClassUnicodeRange> = [('\u{17F}', 's'), ('\u{212A}', 'k')]
        .into_iter()
        .filter(|&(c, ascii)| holds(c) && holds(ascii) && holds(ascii.to_ascii_uppercase()))
        .map(|(c, _)| ClassUnicodeRange::new(c, c))
        .collect();
    if folds.is_empty() {
        return Class::Unicode(unicode);
    }
    let mut ascii = unicode.clone();
    ascii.difference(&ClassUnicode::new(folds));
    if ascii.is_ascii() {
        Class::Unicode(ascii)
    } else {
        Class::Unicode(unicode)
    }
}

/// Named capture groups of a parsed pattern with their indexes.
fn capture_names(hir: &regex_syntax::hir::Hir) -> Vec<(String, usize)> {
    use regex_syntax::hir::HirKind;
    let mut out = Vec::new();
    let mut stack = vec![hir];
    while let Some(h) = stack.pop() {
        match h.kind() {
            HirKind::Capture(cap) => {
                if let Some(name) = &cap.name {
                    out.push((name.to_string(), cap.index as usize));
                }
                stack.push(&cap.sub);
            }
            HirKind::Concat(subs) | HirKind::Alternation(subs) => stack.extend(subs.iter()),
            HirKind::Repetition(rep) => stack.push(&rep.sub),
            _ => {}
        }
    }
    out
}

fn expect_values(value: &toml::Value) -> Vec<Value> {
    match value {
        toml::Value::Array(items) => items.iter().filter_map(toml_value).collect(),
        other => toml_value(other).into_iter().collect(),
    }
}

fn toml_value(value: &toml::Value) -> Option<Value> {
    match value {
        toml::Value::Integer(i) => Some(Value::Int(*i)),
        toml::Value::String(s) => Some(Value::Str(s.clone())),
        _ => None,
    }
}

struct Defs<'a> {
    subpatterns: &'a BTreeMap<String, SubPattern>,
    lexicons: &'a BTreeMap<String, Lexicon>,
    /// Where lexicon alternations are registered, leaving placeholders.
    registry: Option<&'a std::cell::RefCell<splice::Registry>>,
}

impl expand::Definitions for Defs<'_> {
    fn subpattern(&self, name: &str) -> Option<&str> {
        self.subpatterns.get(name).map(|s| s.source.as_str())
    }

    fn lexicon(&self, name: &str, code: Option<&str>) -> Option<Result<String, String>> {
        let lexicon = self.lexicons.get(name)?;
        let Some(phrases) = lexicon.phrases(code) else {
            return Some(Err(format!(
                "lexicon {name} has no entries with code {:?}",
                code.unwrap_or_default()
            )));
        };
        let alternation = phrases.regex();
        let Some(registry) = self.registry else {
            return Some(Ok(alternation));
        };
        // The tree is built from the phrases only while it is the tree of
        // the text the rule shows (ASCII `\b`, `\s`, `\d` rewrite it).
        let shown = ascii_word_boundaries(&alternation);
        let phrases = (shown == alternation).then_some(phrases);
        Some(Ok(registry.borrow_mut().placeholder(shown, phrases)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pattern: &str) -> regex_syntax::hir::Hir {
        splice::parser().parse(pattern).unwrap()
    }

    #[test]
    fn case_folds_of_ascii_letters_stay_in_ascii_unless_the_class_leaves_it() {
        let matches = |pattern: &str, text: &str| {
            let tree = ascii_case_folds(parse(pattern));
            let regex = regex_builder(Scale::Small).build_from_hir(&tree).unwrap();
            regex.is_match(text)
        };
        assert!(matches("(?i)^desk$", "DeSK"));
        assert!(!matches("(?i)^desk$", "de\u{17F}k"), "long s");
        assert!(!matches("(?i)^desk$", "des\u{212A}"), "Kelvin sign");
        assert!(
            !matches("(?i)^(?:a|b(?P<x>s+))$", "b\u{17F}"),
            "inside groups too"
        );
        // Classes holding other letters outside ASCII keep Unicode's folds.
        assert!(matches("(?i)^[sé]$", "\u{17F}"));
        assert!(matches(r"(?i)^\w$", "\u{212A}"));
        // Nor do classes that hold them without both cases of the letter.
        assert!(matches("^[a-z\u{17F}]$", "\u{17F}"));
        assert!(matches("^[K\u{212A}]$", "\u{212A}"));
    }

    #[test]
    fn a_group_is_the_match_only_with_nothing_but_assertions_around_it() {
        let whole = |pattern: &str| group_spanning_match(&parse(pattern));
        assert_eq!(whole(r"(?i)\b(?P<value>he|she)\b"), Some(1));
        assert_eq!(whole(r"^(?P<value>[a-z]+)$"), Some(1));
        assert_eq!(whole(r"(?P<value>x+)"), Some(1));
        assert_eq!(whole(r"\b(?P<value>cat)s?\b"), None);
        assert_eq!(whole(r"(?P<a>x)(?P<b>y)"), None);
        assert_eq!(whole(r"\b(?P<value>he)\b|she"), None);
        assert_eq!(whole(r"\bhe\b"), None);
        let pack = Pack::embedded().unwrap();
        let pronoun = pack.rule("sex.pronoun").unwrap();
        pronoun.regex.get(Scale::Large);
        assert!(pronoun.regex.group_is_match(pronoun.capture));
        let year_old = pack.rule("age.year-old").unwrap();
        year_old.regex.get(Scale::Large);
        assert!(!year_old.regex.group_is_match(year_old.capture));
    }

    #[test]
    fn every_embedded_rule_compiles_from_its_skeleton_to_the_tree_of_its_pattern() {
        let pack = Pack::embedded().unwrap();
        let mut shorter = 0;
        for rule in &pack.rules {
            let (skeleton, parts) = rule.regex.expanded().skeleton.as_ref().expect("a skeleton");
            shorter += usize::from(skeleton.len() < rule.regex.as_str().len());
            let tree = parts
                .parse(skeleton)
                .unwrap_or_else(|| panic!("{}: the splice refused its skeleton", rule.id));
            let written_out = ascii_case_folds(parse(rule.regex.as_str()));
            assert_eq!(tree, written_out, "{}", rule.id);
            for scale in [Scale::Small, Scale::Large] {
                let compiled = rule.regex.force(scale);
                assert!(compiled.is_ok(), "{} ({scale:?}): {compiled:?}", rule.id);
            }
        }
        assert!(shorter > pack.rules.len() / 2, "most rules use a lexicon");
    }

    #[test]
    fn the_embedded_pack_leaves_expansion_and_lexicons_to_first_use_and_expands_alike() {
        let deferred = Pack::embedded().unwrap();
        assert!(deferred
            .rules
            .iter()
            .all(|r| matches!(r.regex.expansion, Expansion::Deferred { .. })));
        assert!(deferred.lexicons.values().all(|l| !l.is_parsed()));
        let files = embedded::files();
        let eager = Loader::new(&files, false).load().unwrap();
        for (d, e) in deferred.rules.iter().zip(&eager.rules) {
            assert!(matches!(e.regex.expansion, Expansion::Done(_)));
            assert_eq!(d.regex.as_str(), e.regex.as_str(), "{}", d.id);
        }
        assert_eq!(deferred.rules.len(), eager.rules.len());
        for (name, lexicon) in deferred.lexicons.iter() {
            assert_eq!(lexicon.entries(), eager.lexicons[name].entries(), "{name}");
        }
    }

    #[test]
    fn in_parallel_gives_every_result_in_order() {
        let items: Vec<u64> = (0..200).collect();
        // Uneven work, so threads finish out of order.
        let slow_square =
            |&x: &u64| (0..(x % 7) * 1000).fold(x * x, |a, _| std::hint::black_box(a));
        let expected: Vec<u64> = items.iter().map(|x| x * x).collect();
        for threads in [1, 2, 3] {
            assert_eq!(in_parallel(&items, threads, slow_square), expected);
            assert_eq!(in_parallel(&items[..1], threads, slow_square), [0]);
            assert!(in_parallel(&items[..0], threads, slow_square).is_empty());
        }
    }

    /// Threads preparing at once each pass over what another has begun:
    /// when all are done, every rule asked for is built.
    #[test]
    fn threads_preparing_at_once_build_everything_between_them() {
        let pack = Pack::embedded().unwrap();
        let all: Vec<usize> = (0..pack.rules.len()).collect();
        std::thread::scope(|scope| {
            let other = scope.spawn(|| pack.prepare(&all, 2, Scale::Small));
            pack.prepare(&all, 2, Scale::Small);
            other.join().unwrap();
        });
        for (i, rule) in pack.rules.iter().enumerate() {
            assert!(rule.regex.is_compiled(Scale::Small), "{}", rule.id);
            assert!(!pack.is_building(i, Scale::Small), "{}", rule.id);
        }
        for rule in pack.rules.iter().filter(|r| r.each.is_some()) {
            let lexicon = &pack.lexicons[rule.each.as_deref().unwrap()];
            assert!(lexicon.scanner_built(Scale::Small), "{}", rule.id);
        }
    }

    #[test]
    fn prepare_compiles_the_rules_asked_for_and_only_those() {
        let pack = Pack::embedded().unwrap();
        let each = pack.rules.iter().position(|r| r.each.is_some()).unwrap();
        let asked = [
            each,
            (each + 1) % pack.rules.len(),
            (each + 2) % pack.rules.len(),
        ];
        pack.prepare(&asked, 2, Scale::Small);
        for (i, rule) in pack.rules.iter().enumerate() {
            assert_eq!(
                rule.regex.is_compiled(Scale::Small),
                asked.contains(&i),
                "{}",
                rule.id
            );
            assert!(!rule.regex.is_compiled(Scale::Large), "{}", rule.id);
        }
        let lexicon = &pack.lexicons[pack.rules[each].each.as_deref().unwrap()];
        assert!(lexicon.scanner_built(Scale::Small));
        assert!(!lexicon.scanner_built(Scale::Large));
        let other = Pack::embedded().unwrap();
        other.prepare(&asked, 1, Scale::Large);
        assert!(
            other
                .rules
                .iter()
                .all(|r| !r.regex.is_compiled(Scale::Large)),
            "one thread builds on use"
        );
    }

    #[test]
    fn lexicon_phrases_read_the_same_under_any_flags_around_them() {
        let mut files = PackFiles::default();
        files.files.insert(
            "pack.toml".into(),
            "[pack]\nname = \"t\"\n[lexicons.NOUN]\nfile = \"nouns.tsv\"\n".into(),
        );
        files
            .files
            .insert("nouns.tsv".into(), "P\tillegal alien\tman\n".into());
        files.files.insert(
            "rules.toml".into(),
            "[[rule]]\nid = \"x\"\nfield = \"name\"\npattern = '(?x) an \\s {{NOUN}}'\n".into(),
        );
        let pack = Pack::from_files(&files).unwrap();
        for scale in [Scale::Small, Scale::Large] {
            let regex = pack.rules[0].regex.get(scale);
            assert!(regex.is_match("an illegal alien"));
            assert!(!regex.is_match("an illegalalien"));
        }
    }
}
