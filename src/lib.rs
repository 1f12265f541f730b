//! docket turns prose news articles into structured, normalized per-person
//! records, every value traceable to a byte span and the rule that found it.
//!
//! The pipeline runs one way, one module per stage:
//! [`source`] (bytes -> [`Document`]) -> [`segment`] (view, sentences) ->
//! [`matcher`] (rules -> [`Mention`]s, values by [`normalize`]) ->
//! [`assemble`] (mentions -> subjects) -> [`output`] (JSON record, caret view).
//! [`rules`] loads the rule pack that drives matching; nothing in the engine
//! names a domain word.
//!
//! An extractor compiles each rule the first time a document needs it, for
//! large input unless told otherwise; one that will only see a few
//! articles says so with [`Extractor::with_expected_input`] and builds its
//! rules in a quarter less time (the records are the same).
//!
//! ```
//! let text = b"A 25-year-old Mexican national was arrested for DUI.";
//! let extractor = docket::Extractor::embedded()
//!     .unwrap()
//!     .with_expected_input(text.len() as u64);
//! let doc = docket::Document::from_bytes("x", "x.txt", text);
//! let record = extractor.record(&doc);
//! assert_eq!(record.subjects[0].age, Some(25));
//! assert_eq!(record.subjects[0].nationality.as_deref(), Some("MX"));
//! ```
#![deny(missing_docs)]

pub mod assemble;
pub mod batch;
pub mod built;
pub mod check;
pub mod error;
pub mod eval;
pub mod matcher;
pub mod mention;
pub mod normalize;
pub mod output;
pub mod prefilter;
pub mod review;
pub mod rules;
pub mod segment;
pub mod sorted;
pub mod source;

use std::ops::Range;
use std::path::Path;

pub use error::{Location, RuleError, RuleProblem, SourceError};
pub use mention::{Field, Mention, Value};
pub use output::Record;
pub use rules::{Pack, Scale};
pub use source::Document;

use assemble::Assembly;
use matcher::RuleSelection;
use normalize::{NormalizeContext, Normalizer};

/// A compiled rule pack ready to extract from any number of documents
/// (shareable across threads).
#[derive(Debug)]
pub struct Extractor {
    pack: Pack,
    /// Every rule's search state, shared by the threads extracting.
    states: std::sync::Arc<matcher::SearchStates>,
    /// Threads a document may use to build the rules it needs.
    build_threads: usize,
    /// The scale of input rules are built for.
    scale: Scale,
}

/// Everything extracted from one document, before it is rendered.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// Every mention, sorted by span.
    pub mentions: Vec<Mention>,
    /// Subjects, facts and the fate of every mention.
    pub assembly: Assembly,
    /// Sentence spans in the document text.
    pub sentences: Vec<Range<usize>>,
    /// The byline date, normalized when possible.
    pub published: Option<String>,
}

impl Extractor {
    /// An extractor over an already loaded pack (its examples are not run).
    pub fn new(pack: Pack) -> Extractor {
        Extractor {
            pack,
            states: Default::default(),
            build_threads: 1,
            scale: Scale::default(),
        }
    }

    /// Tells how much input is coming (in bytes, all documents together),
    /// so rules are built for its [`Scale`]: below [`Scale::LARGE_FROM`]
    /// in the way cheapest to build, as building them is then most of the
    /// run; otherwise (and by default) with the lazy DFA too, fastest on
    /// long text. The same records either way.
    pub fn with_expected_input(mut self, bytes: u64) -> Extractor {
        self.scale = Scale::of_input(bytes);
        self
    }

    /// Lets a document use up to `threads` threads to build the rules it
    /// needs that no document has used before (default 1: each rule is
    /// built on the extracting thread when first used). The CLI gives its
    /// `--jobs`: one article's latency is mostly compiling rules.
    pub fn with_build_threads(mut self, threads: usize) -> Extractor {
        self.build_threads = threads;
        self
    }

    /// The default pack embedded in the binary. Its examples are checked by
    /// `cargo test`, so they are not run again at start-up.
    pub fn embedded() -> Result<Extractor, RuleError> {
        Ok(Extractor::new(Pack::embedded()?))
    }

    /// A pack from a folder; every rule example must pass, else the pack is refused.
    pub fn from_dir(dir: &Path) -> Result<Extractor, RuleError> {
        let pack = Pack::from_dir(dir)?;
        let problems = check::run_examples(&pack);
        if !problems.is_empty() {
            return Err(RuleError::Invalid(problems));
        }
        Ok(Extractor::new(pack))
    }

    /// The pack in use.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// Runs every stage after `source` on one document.
    pub fn extract(&self, doc: &Document) -> Extraction {
        self.extract_group(&[doc])
            .pop()
            .expect("one document in, one extraction out")
    }

    /// [`Extractor::extract`] of several documents, each with exactly the
    /// result it gets on its own, faster than one at a time over a batch:
    /// each rule runs over every document of the group before the next
    /// rule, so its search state stays in the CPU's caches (see
    /// [`matcher::find_mentions_in_group`]). A group of about a megabyte
    /// gains most; the documents are all held in memory meanwhile.
    pub fn extract_group(&self, docs: &[&Document]) -> Vec<Extraction> {
        let segmented: Vec<segment::Segmented> = docs
            .iter()
            .map(|doc| {
                segment::segment_from(&doc.text, doc.body_start, &self.pack.segment.abbreviations)
            })
            .collect();
        let mut scratch = matcher::Scratch::sharing(self.states.clone(), self.scale);
        scratch.build_threads = self.build_threads;
        let mentions = matcher::find_mentions_in_group(
            &self.pack,
            &segmented,
            RuleSelection::All,
            &mut scratch,
        );
        docs.iter()
            .zip(segmented)
            .zip(mentions)
            .map(|((doc, seg), mentions)| self.finish(doc, &seg, mentions))
            .collect()
    }

    /// The stages after matching, for one document.
    fn finish(
        &self,
        doc: &Document,
        seg: &segment::Segmented,
        mentions: Vec<Mention>,
    ) -> Extraction {
        let assembly = assemble::assemble(&self.pack, &mentions);
        let sentences = seg.sentence_spans();
        let context = NormalizeContext {
            lexicons: &self.pack.lexicons,
            config: &self.pack.normalizers,
        };
        let published = doc.meta.published.as_ref().map(|raw| {
            context
                .apply(&Normalizer::Date, raw)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| raw.clone())
        });
        Extraction {
            mentions,
            assembly,
            sentences,
            published,
        }
    }

    /// Extracts and renders the JSON record of one document.
    pub fn record<'a>(&'a self, doc: &'a Document) -> Record<'a> {
        Record::build(&self.pack, doc, &self.extract(doc))
    }

    /// [`Extractor::record`] of several documents, extracted together (see
    /// [`Extractor::extract_group`]).
    pub fn records<'a>(&'a self, docs: &[&'a Document]) -> Vec<Record<'a>> {
        docs.iter()
            .zip(self.extract_group(docs))
            .map(|(doc, extraction)| Record::build(&self.pack, doc, &extraction))
            .collect()
    }

    /// Extracts and renders the caret view of one document.
    pub fn caret_view(&self, doc: &Document) -> String {
        let extraction = self.extract(doc);
        let record = Record::build(&self.pack, doc, &extraction);
        output::caret::render(&self.pack, doc, &extraction, &record)
    }
}
