//! The docket command line: a thin layer over the library.

mod allocator;
mod cmd;

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use docket::source::{read_article, InputFormat};
use docket::{Document, Extractor, RuleError};

#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator;

/// Exit codes, documented in README and --help.
pub const EXIT_OK: u8 = 0;
pub const EXIT_SOME_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "docket",
    version,
    about = "Turn news articles into structured per-person records.",
    after_help = "Exit codes: 0 all inputs processed, 1 some inputs failed (or check/diff found problems), 2 usage or rule-pack error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract records from articles and print them as JSON.
    Extract(cmd::extract::ExtractArgs),
    /// Load the rule pack, run every rule's examples and lint it.
    Check(cmd::check::CheckArgs),
    /// Show an article with every mention marked, then its subjects.
    Explain(cmd::explain::ExplainArgs),
    /// Score extractions against gold files, as eval/score.py does.
    Eval(cmd::eval::EvalArgs),
    /// Compare two runs (record files, or two rule packs over the same articles).
    Diff(cmd::diff::DiffArgs),
    /// Write a static HTML report: every article with its mentions highlighted.
    Report(cmd::report::ReportArgs),
}

#[derive(clap::Args)]
pub struct PackArgs {
    /// Rule pack folder to use instead of the embedded default pack.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Extract(args) => cmd::extract::extract(args),
        Command::Check(args) => cmd::check::check(args),
        Command::Explain(args) => cmd::explain::explain(args),
        Command::Eval(args) => cmd::eval::eval(args),
        Command::Diff(args) => cmd::diff::diff(args),
        Command::Report(args) => cmd::report::report(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if let Some(rule_error) = err.downcast_ref::<RuleError>() {
                eprintln!("{rule_error}");
                eprintln!("docket: the rule pack has errors; nothing was extracted");
                return ExitCode::from(EXIT_USAGE);
            }
            if is_broken_pipe(&err) {
                return ExitCode::from(EXIT_OK);
            }
            eprintln!("docket: {err:#}");
            ExitCode::from(EXIT_SOME_FAILED)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

pub fn load_extractor(pack: &PackArgs) -> Result<Extractor> {
    Ok(match &pack.rules {
        Some(dir) => Extractor::from_dir(dir)?,
        None => Extractor::embedded()?,
    })
}

/// Reads one article in the format its extension implies (plain text otherwise).
pub fn read_document(path: &Path) -> Result<Document> {
    let raw = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let id = path
        .file_stem()
        .map_or_else(|| "-".to_string(), |s| s.to_string_lossy().into_owned());
    let format = InputFormat::from_path(path).unwrap_or(InputFormat::Text);
    Ok(read_article(format, &id, &path.display().to_string(), raw)?)
}
