//! Batch conversion: many inputs -> records, in input order, in parallel,
//! with bounded memory and no half-written output.
//!
//! In: the command line's input arguments (files, folders, globs, `-`) and
//! [`BatchOptions`]. Out: rendered records written to a [`Sink`] in input
//! order (whatever the number of threads), one [`Report`] per problem
//! input, and a [`Summary`]. A large batch is extracted in groups of
//! consecutive articles (about a megabyte; see [`group_bytes`]), each rule
//! run over a whole group at once, which keeps its search state in the CPU's
//! caches. With more than one job, each thread of a rayon pool takes the
//! next group, reads and extracts it, and writes what is due; a thread too
//! far ahead of the oldest unwritten group waits, so memory stays bounded by
//! the groups in flight, not the corpus.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::SourceError;
use crate::source::{read_article, Document, InputFormat, JsonlReader};
use crate::Extractor;

/// How records are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Pretty JSON, one object per article.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// One row per subject (RFC 4180).
    Csv,
}

/// Batch settings.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Worker threads.
    pub jobs: usize,
    /// Output rendering.
    pub format: OutputFormat,
    /// Force this input format instead of guessing from extensions.
    pub input_format: Option<InputFormat>,
    /// Inputs larger than this are refused (per file; per line for JSONL).
    pub max_bytes: u64,
    /// Include the extracted text in each record (`"text"`), so spans can be checked.
    pub emit_text: bool,
    /// With an output folder: leave articles whose output already exists.
    pub skip_existing: bool,
    /// One output file per article under this folder, mirroring the input tree.
    pub out_dir: Option<PathBuf>,
    /// Consecutive articles are extracted together until they hold this
    /// many bytes (see [`group_bytes`]); 0: one at a time.
    pub group_bytes: u64,
}

/// A group of articles extracted together ends with the article that
/// brings it to this many bytes, at most. Each rule runs over a whole group
/// before the next, so larger groups run faster (the rule's lazy DFA stays
/// in the CPU's caches over more of its windows) but hold more memory at
/// once: about 2.5 MiB of peak per 256 KiB of group. 64 MB at `-j1`, CPU
/// time medians of 11 interleaved rounds: 512 KiB 892 ms, 1 MiB 839 ms;
/// peak 50.3 and 55.5 MiB, and on the 1 GB stream 53.4 and 57.0 MiB. (With
/// the rules' automata as they were before 6259ba0, 5-6 MiB larger, 1 MiB
/// took the stream to 64.3 MiB, and groups were half as large.) A
/// megabyte keeps the stream's peak under 64 MiB with room for freed
/// memory to wait for reuse (see the command line's allocator).
pub const MAX_GROUP_BYTES: u64 = 1 << 20;
/// The most articles in one group, so a stream of short ones is written
/// out in steady steps.
const MAX_GROUP_ITEMS: usize = 256;

/// How many bytes of articles to extract together for `expected` bytes of
/// input over `jobs` threads: none for input of [`crate::Scale::Small`]
/// (a few articles, each better written as soon as it is done); else up to
/// [`MAX_GROUP_BYTES`], small enough that every thread gets several groups.
pub fn group_bytes(expected: u64, jobs: usize) -> u64 {
    if crate::Scale::of_input(expected) == crate::Scale::Small {
        return 0;
    }
    (expected / groups_at_least(jobs)).min(MAX_GROUP_BYTES)
}

/// The input size from which neither the scale rules are built for nor
/// [`group_bytes`] changes, with `jobs` threads: a larger input may be
/// sized no further.
pub fn size_that_decides(jobs: usize) -> u64 {
    (groups_at_least(jobs) * MAX_GROUP_BYTES).max(crate::Scale::LARGE_FROM)
}

/// The fewest groups a large input is cut into for `jobs` threads: eight
/// per thread.
fn groups_at_least(jobs: usize) -> u64 {
    8 * jobs.max(1) as u64
}

/// CSV columns, one row per subject.
pub const CSV_HEADER: [&str; 11] = [
    "article",
    "subject",
    "name",
    "age",
    "sex",
    "nationality",
    "arrests",
    "detainer",
    "nibrs",
    "charges",
    "source",
];

/// A problem with one input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// The input (path, `path:line` for JSONL, `-` for stdin).
    pub input: String,
    /// "error" (the input produced no record) or "warning" (it did, with a caveat).
    pub severity: &'static str,
    /// What happened.
    pub message: String,
}

/// Totals of a batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Records written.
    pub articles: usize,
    /// Subjects in them.
    pub subjects: usize,
    /// Articles skipped because their output exists.
    pub skipped: usize,
    /// Warnings reported.
    pub warnings: usize,
    /// Inputs that failed.
    pub errors: usize,
    /// Bytes of input read.
    pub bytes: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Where rendered records go.
pub trait Sink {
    /// One article's rendered output. `relative` is its path under an output folder.
    fn write(&mut self, relative: &Path, rendered: &[u8]) -> std::io::Result<()>;
    /// A problem with an input.
    fn report(&mut self, report: &Report);
    /// Progress: input bytes consumed so far.
    fn progress(&mut self, _bytes: u64, _articles: usize) {}
}

/// One input argument, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file, with the folder argument it was found under (for mirroring).
    File {
        /// The file.
        path: PathBuf,
        /// The folder argument it came from, if any.
        root: Option<PathBuf>,
    },
}

/// Expands arguments: `-`, files, folders (recursive, sorted, hidden entries
/// skipped, only known formats) and glob patterns. Arguments that match
/// nothing are reported.
pub fn expand_inputs(args: &[String]) -> (Vec<Input>, Vec<Report>) {
    let mut inputs = Vec::new();
    let mut reports = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if arg == "-" {
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, &mut reports);
            inputs.extend(files.into_iter().map(|p| Input::File {
                path: p,
                root: Some(path.to_path_buf()),
            }));
        } else if path.exists() {
            inputs.push(Input::File {
                path: path.to_path_buf(),
                root: None,
            });
        } else if arg.contains(['*', '?', '[']) {
            let matched = expand_glob(arg, &mut reports);
            if matched.is_empty() {
                reports.push(error(arg, "the pattern matches no file"));
            }
            inputs.extend(matched.into_iter().map(|p| Input::File {
                path: p,
                root: None,
            }));
        } else {
            reports.push(error(arg, "no such file or folder"));
        }
    }
    (inputs, reports)
}

fn expand_glob(pattern: &str, reports: &mut Vec<Report>) -> Vec<PathBuf> {
    let options = glob::MatchOptions {
        require_literal_leading_dot: true,
        ..glob::MatchOptions::new()
    };
    match glob::glob_with(pattern, options) {
        Ok(paths) => {
            let mut found: Vec<PathBuf> = paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            found
        }
        Err(e) => {
            reports.push(error(pattern, &format!("bad glob pattern: {e}")));
            Vec::new()
        }
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, reports: &mut Vec<Report>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            return reports.push(error(
                &dir.display().to_string(),
                &format!("cannot read folder: {e}"),
            ))
        }
    };
    // Each folder's entries in name order, a subfolder walked where its
    // name stands: the files come out sorted by their whole paths (compared
    // component by component) without comparing whole paths, which split
    // both into components at every comparison (5,010 paths: 49 M
    // instructions).
    let mut entries: Vec<(std::ffi::OsString, std::fs::DirEntry)> = entries
        .flatten()
        .map(|entry| (entry.file_name(), entry))
        .collect();
    entries.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    for (name, entry) in entries {
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // The entry's type comes with the listing; only a link needs a
        // look at what it points to (a system call per article otherwise).
        let is_dir = match entry.file_type() {
            Ok(kind) if !kind.is_symlink() => kind.is_dir(),
            _ => path.is_dir(),
        };
        if is_dir {
            walk(&path, files, reports);
        } else if InputFormat::from_path(&path).is_some() {
            files.push(path);
        }
    }
}

fn to_json(value: &impl serde::Serialize, pretty: bool) -> Vec<u8> {
    if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    }
    .expect("records serialize")
}

fn error(input: &str, message: &str) -> Report {
    Report {
        input: input.to_string(),
        severity: "error",
        message: message.to_string(),
    }
}

/// One unit of work: a document (or why there is none) and where its output goes.
struct Item {
    relative: PathBuf,
    doc: Result<Document, SourceError>,
    bytes: u64,
}

/// What extraction of one item produced.
enum Rendered {
    Record {
        relative: PathBuf,
        bytes: Vec<u8>,
        subjects: usize,
        warning: Option<Report>,
    },
    Failed(Report),
}

/// How far (in groups of items, per thread) a finished group may run ahead
/// of the oldest unwritten one before its thread waits: far enough to keep
/// every thread busy past a slow article, near enough to bound memory.
const IN_FLIGHT_PER_THREAD: usize = 16;
/// A finished group also waits while the records waiting to be written
/// hold this many bytes.
const IN_FLIGHT_BYTES: u64 = 8 << 20;

/// Runs the batch, writing every record to `sink` in input order.
pub fn run(
    extractor: &Extractor,
    inputs: &[Input],
    options: &BatchOptions,
    sink: &mut (dyn Sink + Send),
) -> Summary {
    let started = Instant::now();
    if let (true, Some(dir)) = (options.skip_existing, &options.out_dir) {
        remove_stale_temporaries(dir);
    }
    let threads = options.jobs.max(1);
    let mut summary = Summary::default();
    if threads == 1 {
        run_here(extractor, inputs, options, sink, &mut summary);
    } else {
        run_pooled(extractor, inputs, options, sink, &mut summary, threads);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    summary
}

/// One thread reads, extracts and writes each input in turn: `--jobs 1`
/// means one core's work, with no reader or writer running beside it.
fn run_here(
    extractor: &Extractor,
    inputs: &[Input],
    options: &BatchOptions,
    sink: &mut dyn Sink,
    summary: &mut Summary,
) {
    for group in groups(inputs, options) {
        for outcome in render_caught(extractor, group, options) {
            deliver_outcome(outcome, summary, sink);
        }
    }
}

/// The items of every input in order, in groups of consecutive items
/// (across inputs) of about `options.group_bytes`.
fn groups<'a>(
    inputs: &'a [Input],
    options: &'a BatchOptions,
) -> impl Iterator<Item = Vec<Option<Item>>> + Send + 'a {
    let mut items = inputs.iter().flat_map(|input| items(input, options));
    std::iter::from_fn(move || {
        let mut group = Vec::new();
        let mut bytes = 0;
        for work in items.by_ref() {
            bytes += work.as_ref().map_or(0, |item| item.bytes);
            group.push(work);
            if bytes >= options.group_bytes || group.len() >= MAX_GROUP_ITEMS {
                break;
            }
        }
        (!group.is_empty()).then_some(group)
    })
}

/// Every pool thread takes the next group of items (reading them under the
/// source's lock), extracts it, and writes each finished record whose turn
/// has come.
/// No reader or writer thread sits between the workers, so `--jobs 2` is
/// two cores' work with next to no context switches.
fn run_pooled(
    extractor: &Extractor,
    inputs: &[Input],
    options: &BatchOptions,
    sink: &mut (dyn Sink + Send),
    summary: &mut Summary,
    threads: usize,
) {
    use rayon::iter::{ParallelBridge, ParallelIterator};
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let source = groups(inputs, options).enumerate();
    let turns = Turns::new(sink, summary, threads);
    pool.install(|| {
        source.par_bridge().for_each(|(index, group)| {
            turns.finish(index, render_caught(extractor, group, options));
        })
    });
}

/// What one item came to: `None` when skipped, else its input bytes and result.
type Outcome = Option<(u64, Rendered)>;

/// Delivers the outcomes of groups finished on any thread in input order. A
/// thread whose group is too far ahead of the next one to write waits, so
/// memory stays bounded while one slow article holds the line.
struct Turns<'s> {
    state: std::sync::Mutex<TurnState<'s>>,
    written: std::sync::Condvar,
    most_waiting: usize,
}

struct TurnState<'s> {
    next: usize,
    early: std::collections::BTreeMap<usize, Vec<Outcome>>,
    early_bytes: u64,
    sink: &'s mut (dyn Sink + Send),
    summary: &'s mut Summary,
}

impl<'s> Turns<'s> {
    fn new(sink: &'s mut (dyn Sink + Send), summary: &'s mut Summary, threads: usize) -> Self {
        Turns {
            state: std::sync::Mutex::new(TurnState {
                next: 0,
                early: Default::default(),
                early_bytes: 0,
                sink,
                summary,
            }),
            written: std::sync::Condvar::new(),
            most_waiting: IN_FLIGHT_PER_THREAD * threads,
        }
    }

    fn finish(&self, index: usize, outcomes: Vec<Outcome>) {
        let mut state = self.state.lock().expect("no writer panicked");
        // The next item to write never waits, so some thread always moves on.
        while index > state.next
            && (index - state.next >= self.most_waiting || state.early_bytes >= IN_FLIGHT_BYTES)
        {
            state = self.written.wait(state).expect("no writer panicked");
        }
        state.early_bytes += outcomes_size(&outcomes);
        state.early.insert(index, outcomes);
        let before = state.next;
        let TurnState {
            next,
            early,
            early_bytes,
            sink,
            summary,
        } = &mut *state;
        while let Some(outcomes) = early.remove(next) {
            *early_bytes -= outcomes_size(&outcomes);
            *next += 1;
            for outcome in outcomes {
                deliver_outcome(outcome, summary, &mut **sink);
            }
        }
        if state.next != before {
            self.written.notify_all();
        }
    }
}

fn outcomes_size(outcomes: &[Outcome]) -> u64 {
    outcomes
        .iter()
        .map(|outcome| match outcome {
            Some((_, Rendered::Record { bytes, .. })) => bytes.len() as u64,
            _ => 0,
        })
        .sum()
}

/// Counts and writes one outcome, then shows progress.
fn deliver_outcome(outcome: Outcome, summary: &mut Summary, sink: &mut dyn Sink) {
    match outcome {
        None => summary.skipped += 1,
        Some((bytes, rendered)) => {
            summary.bytes += bytes;
            deliver(rendered, summary, sink);
            sink.progress(summary.bytes, summary.articles);
        }
    }
}

/// What each item of a group (`None`: skipped) came to, extracted
/// together (see [`Extractor::extract_group`]). A bug in extraction is reported
/// as its input's error instead of ending the batch: when a group fails,
/// each of its items is extracted alone, so only the one at fault is lost.
fn render_caught(
    extractor: &Extractor,
    group: Vec<Option<Item>>,
    options: &BatchOptions,
) -> Vec<Outcome> {
    let items: Vec<&Item> = group.iter().flatten().collect();
    let mut rendered = caught(|| render(extractor, &items, options))
        .unwrap_or_else(|| {
            items
                .iter()
                .map(|&item| render_alone(extractor, item, options))
                .collect()
        })
        .into_iter();
    group
        .iter()
        .map(|work| {
            work.as_ref()
                .map(|item| (item.bytes, rendered.next().expect("one per item")))
        })
        .collect()
}

/// One item extracted on its own, a bug in extraction reported as its error.
fn render_alone(extractor: &Extractor, item: &Item, options: &BatchOptions) -> Rendered {
    caught(|| render(extractor, &[item], options))
        .and_then(|mut one| one.pop())
        .unwrap_or_else(|| {
            Rendered::Failed(error(
                &item.relative.display().to_string(),
                "internal error while extracting (please report it with this input)",
            ))
        })
}

/// `work()`, or `None` if it panicked.
fn caught<T>(work: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).ok()
}

fn deliver(rendered: Rendered, summary: &mut Summary, sink: &mut dyn Sink) {
    match rendered {
        Rendered::Record {
            relative,
            bytes,
            subjects,
            warning,
        } => match sink.write(&relative, &bytes) {
            Ok(()) => {
                summary.articles += 1;
                summary.subjects += subjects;
                if let Some(w) = warning {
                    summary.warnings += 1;
                    sink.report(&w);
                }
            }
            Err(e) => {
                summary.errors += 1;
                sink.report(&error(
                    &relative.display().to_string(),
                    &format!("cannot write output: {e}"),
                ));
            }
        },
        Rendered::Failed(report) => {
            summary.errors += 1;
            sink.report(&report);
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Tests make extraction panic on the item with this path.
    static PANIC_ON: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
}

/// Extracts the documents of `items` together and renders each item.
fn render(extractor: &Extractor, items: &[&Item], options: &BatchOptions) -> Vec<Rendered> {
    #[cfg(test)]
    PANIC_ON.with(|p| {
        if let Some(path) = p.borrow().as_ref() {
            assert!(items.iter().all(|i| &i.relative != path), "injected panic");
        }
    });
    let docs: Vec<&Document> = items.iter().filter_map(|i| i.doc.as_ref().ok()).collect();
    let mut extractions = extractor.extract_group(&docs).into_iter();
    items
        .iter()
        .map(|item| match &item.doc {
            Ok(doc) => {
                // Each record is built and rendered on its own, so a
                // group's records are never all held at once.
                let extraction = extractions.next().expect("one per document");
                let record = crate::Record::build(extractor.pack(), doc, &extraction);
                render_record(item, doc, &record, options)
            }
            Err(e) => Rendered::Failed(source_error(e)),
        })
        .collect()
}

fn render_record(
    item: &Item,
    doc: &Document,
    record: &crate::Record,
    options: &BatchOptions,
) -> Rendered {
    let warning = (doc.replaced_bytes > 0).then(|| Report {
        input: doc.path.clone(),
        severity: "warning",
        message: format!(
            "{} invalid UTF-8 sequence(s) replaced by U+FFFD",
            doc.replaced_bytes
        ),
    });
    let subjects = record.subjects.len();
    let bytes = match options.format {
        OutputFormat::Csv => csv_rows(record),
        format => {
            let pretty = format == OutputFormat::Json || options.out_dir.is_some();
            let mut out = if options.emit_text {
                let mut value = serde_json::to_value(record).expect("records serialize");
                value["text"] = serde_json::Value::String(doc.text.clone());
                to_json(&value, pretty)
            } else {
                to_json(record, pretty)
            };
            out.push(b'\n');
            out
        }
    };
    Rendered::Record {
        relative: item.relative.clone(),
        bytes,
        subjects,
        warning,
    }
}

fn source_error(e: &SourceError) -> Report {
    let (input, message) = match e {
        SourceError::Io { path, source } => (path.clone(), format!("cannot read: {source}")),
        SourceError::TooLarge { path, .. } | SourceError::Format { path, .. } => {
            let text = e.to_string();
            (
                path.clone(),
                text.strip_prefix(&format!("{path}: "))
                    .unwrap_or(&text)
                    .to_string(),
            )
        }
    };
    Report {
        input,
        severity: "error",
        message,
    }
}

/// The CSV rows (no header) of one record: one per subject.
pub fn csv_rows(record: &crate::Record) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for s in &record.subjects {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let codes: Vec<String> = s
            .charges
            .iter()
            .map(|c| format!("{}:{}", c.nibrs, c.phase))
            .collect();
        let texts: Vec<&str> = s.charges.iter().map(|c| c.text.as_str()).collect();
        let row = [
            record.id.clone(),
            s.id.clone(),
            opt(s.name.clone()),
            opt(s.age.map(|a| a.to_string())),
            opt(s.sex.clone()),
            opt(s.nationality.clone()),
            opt(s.arrests.map(|a| a.to_string())),
            opt(s.detainer.clone()),
            codes.join(";"),
            texts.join("; "),
            record.source.path.clone(),
        ];
        writer
            .write_record(&row)
            .expect("CSV to memory cannot fail");
    }
    writer.into_inner().expect("CSV to memory cannot fail")
}

/// True when resuming and the article's output file is already there.
fn already_written(options: &BatchOptions, relative: &Path) -> bool {
    options.skip_existing
        && options
            .out_dir
            .as_ref()
            .is_some_and(|dir| dir.join(relative).exists())
}

/// The work one input yields: one item for a file, one per line for JSONL;
/// `None` for an article skipped because its output exists.
fn items<'a>(
    input: &'a Input,
    options: &'a BatchOptions,
) -> Box<dyn Iterator<Item = Option<Item>> + Send + 'a> {
    let (path, root) = match input {
        Input::Stdin => ("-".to_string(), None),
        Input::File { path, root } => (path.display().to_string(), root.as_deref()),
    };
    let format = options.input_format.or_else(|| match input {
        Input::File { path, .. } => InputFormat::from_path(path),
        Input::Stdin => None,
    });
    let format = format.unwrap_or(if matches!(input, Input::Stdin) {
        InputFormat::Jsonl
    } else {
        InputFormat::Text
    });
    let relative_base = match input {
        Input::Stdin => PathBuf::from("stdin"),
        Input::File { path, .. } => mirror_path(path, root),
    };
    if format == InputFormat::Jsonl {
        let reader: Box<dyn std::io::BufRead + Send> = match input {
            Input::Stdin => Box::new(BufReader::with_capacity(1 << 16, std::io::stdin())),
            Input::File { path: file, .. } => match File::open(file) {
                Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
                Err(source) => {
                    return single(Item {
                        relative: relative_base,
                        doc: Err(SourceError::Io { path, source }),
                        bytes: 0,
                    })
                }
            },
        };
        let dir = relative_base.with_extension("");
        let max = options.max_bytes;
        return Box::new(JsonlReader::new(reader, &path).map(move |doc| {
            let doc = doc.and_then(|d| too_large(d, max));
            let relative = match &doc {
                Ok(d) => dir.join(format!("{}.json", safe_name(&d.id))),
                Err(_) => dir.clone(),
            };
            if doc.is_ok() && already_written(options, &relative) {
                return None;
            }
            let bytes = doc.as_ref().map_or(0, |d| d.text.len() as u64);
            Some(Item {
                relative,
                doc,
                bytes,
            })
        }));
    }
    let relative = relative_base.with_extension("json");
    if already_written(options, &relative) {
        return Box::new(std::iter::once(None));
    }
    let doc = read_whole(input, &path, format, options.max_bytes);
    let bytes = doc.as_ref().map_or(0, |d| d.bytes);
    single(Item {
        relative,
        doc,
        bytes,
    })
}

fn single<'a>(item: Item) -> Box<dyn Iterator<Item = Option<Item>> + Send + 'a> {
    Box::new(std::iter::once(Some(item)))
}

fn too_large(doc: Document, max: u64) -> Result<Document, SourceError> {
    if doc.text.len() as u64 > max {
        return Err(SourceError::TooLarge {
            path: doc.path,
            bytes: doc.text.len() as u64,
            limit: max,
        });
    }
    Ok(doc)
}

fn read_whole(
    input: &Input,
    path: &str,
    format: InputFormat,
    max: u64,
) -> Result<Document, SourceError> {
    let io = |source| SourceError::Io {
        path: path.to_string(),
        source,
    };
    let raw = match input {
        Input::Stdin => {
            let mut raw = Vec::new();
            std::io::stdin()
                .lock()
                .take(max + 1)
                .read_to_end(&mut raw)
                .map_err(io)?;
            raw
        }
        Input::File { path: file, .. } => {
            // The size from the open file: looking the path up a second
            // time is a system call per article.
            let file = File::open(file).map_err(io)?;
            let size = file.metadata().map_err(io)?.len();
            if size > max {
                return Err(SourceError::TooLarge {
                    path: path.to_string(),
                    bytes: size,
                    limit: max,
                });
            }
            let mut raw = Vec::with_capacity(size as usize);
            file.take(max + 1).read_to_end(&mut raw).map_err(io)?;
            raw
        }
    };
    if raw.len() as u64 > max {
        return Err(SourceError::TooLarge {
            path: path.to_string(),
            bytes: raw.len() as u64,
            limit: max,
        });
    }
    let id = Path::new(path)
        .file_stem()
        .map_or_else(|| "stdin".to_string(), |s| s.to_string_lossy().into_owned());
    read_article(format, &id, path, raw)
}

/// The output path of an input under an output folder: its path below the
/// folder argument it came from, or its file name.
fn mirror_path(path: &Path, root: Option<&Path>) -> PathBuf {
    match root.and_then(|r| path.strip_prefix(r).ok()) {
        Some(relative) => relative.to_path_buf(),
        None => PathBuf::from(path.file_name().unwrap_or_default()),
    }
}

/// An id usable as a file name.
fn safe_name(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "_".to_string()
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// A hidden temporary file in `target`'s folder, to be renamed onto it
/// once complete; its name is one a resumed run removes as unfinished.
pub fn temporary_beside(target: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .suffix(TEMPORARY_SUFFIX)
        .tempfile_in(folder_of(target))
}

/// How docket's temporary files are named: this prefix ...
const TEMPORARY_PREFIX: &str = ".docket-";
/// ... then a random part, then this suffix.
const TEMPORARY_SUFFIX: &str = ".tmp";

/// The folder `path` is in ("." for a bare file name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes the hidden temporary files an interrupted run left in an output
/// folder: their articles were not finished, so a resumed run writes them anew.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            remove_stale_temporaries(&path);
        } else if name.starts_with(TEMPORARY_PREFIX) && name.ends_with(TEMPORARY_SUFFIX) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Writes a file atomically: to a hidden temporary file beside it, then renamed,
/// so an interrupted run leaves only complete files.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(folder_of(target))?;
    let mut tmp = temporary_beside(target)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_data()?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_paths_and_safe_names() {
        assert_eq!(
            mirror_path(Path::new("in/a/b.txt"), Some(Path::new("in"))),
            PathBuf::from("a/b.txt")
        );
        assert_eq!(
            mirror_path(Path::new("x/b.txt"), None),
            PathBuf::from("b.txt")
        );
        assert_eq!(safe_name("../etc/passwd"), "_etc_passwd");
        assert_eq!(safe_name(""), "_");
    }

    /// Collects what reaches it, in order.
    #[derive(Default)]
    struct Collect(Vec<String>);

    impl Sink for Collect {
        fn write(&mut self, relative: &Path, _: &[u8]) -> std::io::Result<()> {
            self.0.push(relative.display().to_string());
            Ok(())
        }
        fn report(&mut self, report: &Report) {
            self.0.push(format!("report {}", report.input));
        }
    }

    fn record(name: &str) -> Outcome {
        Some((
            1,
            Rendered::Record {
                relative: PathBuf::from(name),
                bytes: vec![b'x'],
                subjects: 1,
                warning: None,
            },
        ))
    }

    #[test]
    fn turns_write_in_input_order_whatever_order_items_finish_in() {
        let (mut sink, mut summary) = (Collect::default(), Summary::default());
        {
            let turns = Turns::new(&mut sink, &mut summary, 4);
            turns.finish(2, vec![record("c"), record("c2")]);
            turns.finish(1, vec![None]);
            turns.finish(3, vec![Some((0, Rendered::Failed(error("d", "bad"))))]);
            turns.finish(0, vec![record("a")]);
            turns.finish(4, vec![record("e")]);
        }
        assert_eq!(sink.0, ["a", "c", "c2", "report d", "e"]);
        assert_eq!(
            (summary.articles, summary.skipped, summary.errors),
            (4, 1, 1)
        );
        assert_eq!(summary.bytes, 4);
    }

    #[test]
    fn a_group_too_far_ahead_waits_for_the_ones_before_it() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (mut sink, mut summary) = (Collect::default(), Summary::default());
        let done = AtomicBool::new(false);
        {
            // One thread: at most IN_FLIGHT_PER_THREAD groups wait to be written.
            let turns = Turns::new(&mut sink, &mut summary, 1);
            let far = IN_FLIGHT_PER_THREAD;
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    turns.finish(far, vec![record("far")]);
                    done.store(true, Ordering::SeqCst);
                });
                std::thread::sleep(std::time::Duration::from_millis(100));
                assert!(!done.load(Ordering::SeqCst), "the far item did not wait");
                for index in 1..far {
                    turns.finish(index, vec![None]);
                }
                assert!(!done.load(Ordering::SeqCst), "it waits for item 0 too");
                turns.finish(0, vec![record("first")]);
            });
        }
        assert!(done.load(Ordering::SeqCst));
        assert_eq!(sink.0, ["first", "far"]);
    }

    fn options(group_bytes: u64) -> BatchOptions {
        BatchOptions {
            jobs: 1,
            format: OutputFormat::Jsonl,
            input_format: None,
            max_bytes: 1 << 24,
            emit_text: false,
            skip_existing: false,
            out_dir: None,
            group_bytes,
        }
    }

    #[test]
    fn a_folder_gives_its_files_in_the_order_of_their_whole_paths() {
        let dir = tempfile::tempdir().unwrap();
        // Byte by byte, "a-b.txt" and "a.txt" come before "a/..." ('-' and
        // '.' before '/'); component by component, after it.
        let names = [
            "a.txt",
            "a-b.txt",
            "a/b/c.txt",
            "a/x.txt",
            "a/b.txt",
            "B.txt",
            "ab/a.md",
            ".hid.txt",
        ];
        for name in names {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "text").unwrap();
        }
        let (inputs, problems) = expand_inputs(&[dir.path().display().to_string()]);
        assert!(problems.is_empty());
        let found: Vec<PathBuf> = inputs
            .into_iter()
            .map(|input| match input {
                Input::File { path, .. } => path,
                Input::Stdin => unreachable!(),
            })
            .collect();
        let mut expected: Vec<PathBuf> = names[..names.len() - 1]
            .iter()
            .map(|name| dir.path().join(name))
            .collect();
        expected.sort();
        assert_eq!(found, expected);
        assert_eq!(found[1], dir.path().join("a/b/c.txt"), "{found:?}");
    }

    /// The seed articles, and one input that cannot be read.
    fn seed_inputs() -> Vec<Input> {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
        let (mut inputs, problems) = expand_inputs(&[seeds.display().to_string()]);
        assert!(problems.is_empty());
        inputs.insert(
            3,
            Input::File {
                path: seeds.join("no-such-article.txt"),
                root: None,
            },
        );
        inputs
    }

    #[test]
    fn groups_hold_consecutive_items_of_about_the_bytes_asked_for() {
        let inputs = seed_inputs();
        let sizes = |group_bytes| -> Vec<Vec<u64>> {
            let options = options(group_bytes);
            groups(&inputs, &options)
                .map(|g| {
                    g.iter()
                        .map(|w| w.as_ref().map_or(0, |i| i.bytes))
                        .collect()
                })
                .collect()
        };
        let one_each = sizes(0);
        assert_eq!(one_each.len(), inputs.len());
        assert!(one_each.iter().all(|g| g.len() == 1));
        assert_eq!(sizes(u64::MAX), [one_each.concat()], "one group");
        let target = 5_000;
        let grouped = sizes(target);
        assert_eq!(
            grouped.concat(),
            one_each.concat(),
            "same items, same order"
        );
        let (last, full) = grouped.split_last().unwrap();
        assert!(full.len() > 1);
        for group in full {
            let total: u64 = group.iter().sum();
            assert!(total >= target, "{group:?} is short of {target} bytes");
            assert!(total - group.last().unwrap() < target, "{group:?} ran past");
        }
        assert!(last.iter().sum::<u64>() > 0);
    }

    /// Collects each record's bytes and each report, in order.
    #[derive(Default)]
    struct Written(Vec<u8>);

    impl Sink for Written {
        fn write(&mut self, _: &Path, rendered: &[u8]) -> std::io::Result<()> {
            self.0.extend_from_slice(rendered);
            Ok(())
        }
        fn report(&mut self, report: &Report) {
            self.0
                .extend_from_slice(format!("report {}\n", report.input).as_bytes());
        }
    }

    fn run_seeds(group_bytes: u64, jobs: usize) -> (Vec<u8>, Summary) {
        let extractor = Extractor::embedded().unwrap();
        let mut sink = Written::default();
        let options = BatchOptions {
            jobs,
            ..options(group_bytes)
        };
        let summary = run(&extractor, &seed_inputs(), &options, &mut sink);
        (sink.0, summary)
    }

    #[test]
    fn output_is_the_same_whatever_the_groups_and_jobs() {
        let (alone, summary) = run_seeds(0, 1);
        assert_eq!(summary.errors, 1, "the missing article");
        assert_eq!(summary.articles, seed_inputs().len() - 1);
        for (group_bytes, jobs) in [(1, 1), (5_000, 1), (5_000, 2), (u64::MAX, 1), (u64::MAX, 3)] {
            let (grouped, _) = run_seeds(group_bytes, jobs);
            assert!(
                grouped == alone,
                "groups of {group_bytes} bytes on {jobs} threads changed the output"
            );
        }
    }

    #[test]
    fn a_failing_group_is_extracted_again_item_by_item() {
        let inputs = seed_inputs();
        let options = options(u64::MAX);
        let group = groups(&inputs, &options).next().unwrap();
        let extractor = Extractor::embedded().unwrap();
        let victim = group[5].as_ref().unwrap().relative.clone();
        PANIC_ON.with(|p| *p.borrow_mut() = Some(victim.clone()));
        let outcomes = render_caught(&extractor, group, &options);
        PANIC_ON.with(|p| *p.borrow_mut() = None);
        let failed: Vec<String> = outcomes
            .iter()
            .filter_map(|o| match o {
                Some((_, Rendered::Failed(report))) => Some(report.message.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(outcomes.len(), inputs.len());
        assert_eq!(
            failed.len(),
            2,
            "the missing article and the one that panicked"
        );
        assert!(failed[1].starts_with("internal error"), "{failed:?}");
        assert!(
            matches!(&outcomes[5], Some((_, Rendered::Failed(r))) if r.input == victim.display().to_string())
        );
    }

    #[test]
    fn group_bytes_follow_the_input_size() {
        assert_eq!(group_bytes(100_000, 1), 0, "small input: one at a time");
        assert_eq!(group_bytes(u64::MAX, 2), MAX_GROUP_BYTES, "a stream");
        assert_eq!(group_bytes(2 << 20, 2), 128 << 10, "8 groups per thread");
    }

    #[test]
    fn input_past_the_size_that_decides_is_built_and_grouped_alike() {
        for jobs in [1, 2, 3, 16] {
            let decides = size_that_decides(jobs);
            for larger in [decides, decides + 1, decides * 7, u64::MAX] {
                assert_eq!(group_bytes(larger, jobs), group_bytes(decides, jobs));
                assert_eq!(
                    crate::Scale::of_input(larger),
                    crate::Scale::of_input(decides)
                );
            }
            assert_ne!(group_bytes(decides / 2, jobs), group_bytes(decides, jobs));
        }
    }
}
