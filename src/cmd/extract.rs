//! `docket extract`: batch conversion to JSON, JSON Lines or CSV.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;
use docket::batch::{self, Sink};
use docket::source::InputFormat;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::{load_extractor, PackArgs, EXIT_OK, EXIT_SOME_FAILED};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Pretty JSON, one object per article.
    Json,
    /// One JSON object per line (the default for more than one input).
    Jsonl,
    /// One row per subject, RFC 4180, with a header row.
    Csv,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum InputFormatArg {
    Text,
    Markdown,
    Html,
    Pdf,
    Jsonl,
}

#[derive(clap::Args)]
pub struct ExtractArgs {
    #[command(flatten)]
    pub pack: PackArgs,
    /// Output format (default: json for one input file, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Read every input as this format instead of guessing from its extension
    /// (stdin is read as JSONL unless this says otherwise).
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormatArg>,
    /// Write to this file (complete or not at all) instead of stdout; a device
    /// or named pipe (/dev/null, a FIFO) is written into as it is.
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Write one pretty .json per article under DIR, mirroring the input tree.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// With --out-dir: leave articles whose output already exists (resume an interrupted run).
    #[arg(long, requires = "out_dir")]
    pub skip_existing: bool,
    /// Extraction threads (default: all cores); 1 runs the whole batch on one thread. Output is identical for any value.
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Refuse inputs (files, or JSONL lines) larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_bytes: u64,
    /// Include the extracted text in each record as "text", so spans can be checked.
    #[arg(long)]
    pub emit_text: bool,
    /// Also write every error and warning as a JSON line to FILE.
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,
    /// No progress bar and no summary line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Input files, folders (recursive), glob patterns, or - for stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

pub fn extract(args: ExtractArgs) -> Result<u8> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Loading the pack and listing the inputs take a few milliseconds each
    // before any thread has work: with threads to spare, they overlap.
    let (extractor, (inputs, expansion_errors)) = if jobs > 1 {
        std::thread::scope(|scope| {
            let loading = scope.spawn(|| load_extractor(&args.pack));
            let listed = batch::expand_inputs(&args.inputs);
            let loaded = loading
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (loaded, listed)
        })
    } else {
        (
            load_extractor(&args.pack),
            batch::expand_inputs(&args.inputs),
        )
    };
    let extractor = extractor?;
    let single_file = match inputs.as_slice() {
        [batch::Input::File { path, .. }] => {
            InputFormat::from_path(path) != Some(InputFormat::Jsonl)
        }
        _ => false,
    };
    let format = match args.format {
        Some(Format::Json) => batch::OutputFormat::Json,
        Some(Format::Csv) => batch::OutputFormat::Csv,
        Some(Format::Jsonl) => batch::OutputFormat::Jsonl,
        None if single_file && args.input_format != Some(InputFormatArg::Jsonl) => {
            batch::OutputFormat::Json
        }
        None => batch::OutputFormat::Jsonl,
    };
    let show_progress =
        !args.quiet && io::stderr().is_terminal() && (inputs.len() > 1 || !single_file);
    // The progress bar shows the whole size; else it matters only up to
    // where the scale and the group size stop changing.
    let enough = (!show_progress).then(|| batch::size_that_decides(jobs));
    let size = super::InputSize::up_to(&inputs, enough);
    let expected = size.expected();
    let extractor = extractor
        .with_build_threads(jobs)
        .with_expected_input(expected);
    let options = batch::BatchOptions {
        jobs,
        format,
        input_format: args.input_format.map(input_format),
        max_bytes: args.max_bytes,
        emit_text: args.emit_text,
        skip_existing: args.skip_existing,
        out_dir: args.out_dir.clone(),
        group_bytes: batch::group_bytes(expected, jobs),
    };
    let mut sink = CliSink::new(
        &args,
        format,
        show_progress.then(|| progress_bar(size.files)),
    )?;
    for report in &expansion_errors {
        sink.report(report);
    }
    let summary = batch::run(&extractor, &inputs, &options, &mut sink);
    sink.finish()?;
    // The compiled rules are tens of thousands of allocations: the process
    // is about to exit, and handing the pages back at once is faster than
    // freeing each (4% of a small article's run).
    std::mem::forget(extractor);
    let errors = summary.errors + expansion_errors.len();
    if !args.quiet {
        let skipped = if summary.skipped > 0 {
            format!(", {} skipped (output exists)", summary.skipped)
        } else {
            String::new()
        };
        let rate = summary.bytes as f64 / 1e6 / summary.seconds.max(1e-9);
        // Under a megabyte the rate says more in kB/s (and start-up dominates it).
        let rate = if summary.bytes < 1_000_000 {
            format!("{:.1} kB/s", rate * 1e3)
        } else {
            format!("{rate:.1} MB/s")
        };
        eprintln!(
            "docket: {} articles, {} subjects, {} warnings, {errors} errors{skipped} in {:.2}s ({rate})",
            summary.articles, summary.subjects, summary.warnings, summary.seconds,
        );
    }
    Ok(if errors > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}

fn input_format(arg: InputFormatArg) -> InputFormat {
    match arg {
        InputFormatArg::Text => InputFormat::Text,
        InputFormatArg::Markdown => InputFormat::Markdown,
        InputFormatArg::Html => InputFormat::Html,
        InputFormatArg::Pdf => InputFormat::Pdf,
        InputFormatArg::Jsonl => InputFormat::Jsonl,
    }
}

fn progress_bar(total_bytes: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
    )
    .expect("a valid progress template");
    bar.set_style(style);
    bar
}

/// True when `path` exists and is neither a regular file nor a folder:
/// `/dev/null`, a named pipe, `/dev/stdout`. `-o` writes those as they are;
/// a temporary file renamed onto one would replace it (as root, `-o
/// /dev/null` left a regular file where the device was, and every program
/// reading /dev/null afterwards read the records).
fn is_device_or_pipe(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Where `extract` sends records, reports and progress.
struct CliSink {
    stream: Option<Box<dyn Write + Send>>,
    /// With -o: the temporary file renamed onto the target when complete.
    pending: Option<(tempfile::NamedTempFile, PathBuf)>,
    pub out_dir: Option<PathBuf>,
    pub errors: Option<io::BufWriter<std::fs::File>>,
    bar: Option<ProgressBar>,
    write_failed: Option<io::Error>,
}

impl CliSink {
    fn new(
        args: &ExtractArgs,
        format: batch::OutputFormat,
        bar: Option<ProgressBar>,
    ) -> Result<CliSink> {
        let errors = match &args.errors {
            Some(path) => Some(io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("{}: cannot create", path.display()))?,
            )),
            None => None,
        };
        let mut sink = CliSink {
            stream: None,
            pending: None,
            out_dir: args.out_dir.clone(),
            errors,
            bar,
            write_failed: None,
        };
        if sink.out_dir.is_none() {
            let stream: Box<dyn Write + Send> = match &args.output {
                Some(path) if is_device_or_pipe(path) => Box::new(io::BufWriter::new(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(path)
                        .with_context(|| format!("{}: cannot open for writing", path.display()))?,
                )),
                Some(path) => {
                    let tmp = batch::temporary_beside(path)
                        .with_context(|| format!("{}: cannot create", path.display()))?;
                    let file = tmp.reopen()?;
                    sink.pending = Some((tmp, path.clone()));
                    Box::new(io::BufWriter::new(file))
                }
                None => Box::new(io::BufWriter::new(io::stdout())),
            };
            sink.stream = Some(stream);
            if format == batch::OutputFormat::Csv {
                let mut header = csv::Writer::from_writer(Vec::new());
                header.write_record(batch::CSV_HEADER)?;
                sink.stream
                    .as_mut()
                    .expect("just set")
                    .write_all(&header.into_inner()?)?;
            }
        }
        Ok(sink)
    }

    fn finish(mut self) -> Result<()> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if let Some(err) = self.write_failed.take() {
            return Err(err.into());
        }
        if let Some(mut stream) = self.stream.take() {
            stream.flush()?;
        }
        if let Some((tmp, target)) = self.pending.take() {
            tmp.persist(&target)
                .with_context(|| format!("{}: cannot write", target.display()))?;
        }
        if let Some(errors) = &mut self.errors {
            errors.flush()?;
        }
        Ok(())
    }
}

impl batch::Sink for CliSink {
    fn write(&mut self, relative: &Path, rendered: &[u8]) -> io::Result<()> {
        match (&self.out_dir, &mut self.stream) {
            (Some(dir), _) => batch::write_atomic(&dir.join(relative), rendered),
            (None, Some(stream)) => stream.write_all(rendered).inspect_err(|e| {
                // A closed pipe (`docket ... | head`) is the reader's choice, not an error.
                if e.kind() == io::ErrorKind::BrokenPipe {
                    std::process::exit(i32::from(EXIT_OK));
                }
                if self.write_failed.is_none() {
                    self.write_failed = Some(io::Error::new(e.kind(), e.to_string()));
                }
            }),
            (None, None) => Ok(()),
        }
    }

    fn report(&mut self, report: &batch::Report) {
        let line = format!(
            "docket: {}: {}: {}",
            report.severity, report.input, report.message
        );
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
        if let Some(errors) = &mut self.errors {
            let _ = serde_json::to_writer(&mut *errors, report);
            let _ = errors.write_all(b"\n");
        }
    }

    fn progress(&mut self, bytes: u64, articles: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            bar.set_message(format!("{articles} articles"));
        }
    }
}
