//! The docket command line: a thin layer over the library.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use docket::{Document, Extractor, RuleError};

/// Exit codes, documented in README and --help.
const EXIT_OK: u8 = 0;
const EXIT_SOME_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

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
    Extract(ExtractArgs),
    /// Load the rule pack and run every rule's examples.
    Check(PackArgs),
    /// Show an article with every mention marked, then its subjects.
    Explain(ExplainArgs),
    /// Score extractions against gold files, as eval/score.py does.
    Eval(EvalArgs),
}

#[derive(clap::Args)]
struct EvalArgs {
    #[command(flatten)]
    pack: PackArgs,
    /// Folder of gold files (<id>.json); inputs whose stem has one are scored.
    #[arg(long, value_name = "DIR")]
    gold: PathBuf,
    /// Print the score as JSON.
    #[arg(long)]
    json: bool,
    /// List every false positive and false negative with its context and rule.
    #[arg(long)]
    show_errors: bool,
    /// Input articles.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct PackArgs {
    /// Rule pack folder to use instead of the embedded default pack.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    /// One pretty JSON object per article.
    Json,
    /// One JSON object per line.
    Jsonl,
}

#[derive(clap::Args)]
struct ExtractArgs {
    #[command(flatten)]
    pack: PackArgs,
    /// Output format (default: json for one input, jsonl for several).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Input files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct ExplainArgs {
    #[command(flatten)]
    pack: PackArgs,
    /// The article.
    input: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Extract(args) => extract(args),
        Command::Check(args) => check(args),
        Command::Explain(args) => explain(args),
        Command::Eval(args) => eval(args),
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

fn load_extractor(pack: &PackArgs) -> Result<Extractor> {
    Ok(match &pack.rules {
        Some(dir) => Extractor::from_dir(dir)?,
        None => Extractor::embedded()?,
    })
}

fn read_document(path: &Path) -> Result<Document> {
    let raw = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let id = path
        .file_stem()
        .map_or_else(|| "-".to_string(), |s| s.to_string_lossy().into_owned());
    Ok(Document::from_bytes(&id, &path.display().to_string(), &raw))
}

fn extract(args: ExtractArgs) -> Result<u8> {
    let extractor = load_extractor(&args.pack)?;
    let format = args.format.unwrap_or(if args.inputs.len() > 1 {
        Format::Jsonl
    } else {
        Format::Json
    });
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let mut failed = 0;
    for input in &args.inputs {
        let doc = match read_document(input) {
            Ok(doc) => doc,
            Err(err) => {
                eprintln!("docket: {err:#}");
                failed += 1;
                continue;
            }
        };
        let record = extractor.record(&doc);
        match format {
            Format::Json => serde_json::to_writer_pretty(&mut out, &record)?,
            Format::Jsonl => serde_json::to_writer(&mut out, &record)?,
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(if failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}

fn check(args: PackArgs) -> Result<u8> {
    let pack = match &args.rules {
        Some(dir) => docket::Pack::from_dir(dir)?,
        None => docket::Pack::embedded()?,
    };
    let problems = docket::check::run_examples(&pack);
    for problem in &problems {
        println!("{problem}");
    }
    let examples: usize = pack
        .rules
        .iter()
        .map(|r| r.examples.len() + r.counter_examples.len())
        .sum();
    eprintln!(
        "{} rules, {} lexicons, {examples} examples: {} failed",
        pack.rules.len(),
        pack.lexicons.len(),
        problems.len()
    );
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    })
}

fn explain(args: ExplainArgs) -> Result<u8> {
    let extractor = load_extractor(&args.pack)?;
    let doc = read_document(&args.input)?;
    print!("{}", extractor.caret_view(&doc));
    Ok(EXIT_OK)
}

fn eval(args: EvalArgs) -> Result<u8> {
    let extractor = load_extractor(&args.pack)?;
    let gold = read_gold(&args.gold)?;
    let mut preds = BTreeMap::new();
    let mut articles = Vec::new();
    for input in &args.inputs {
        let doc = read_document(input)?;
        if !gold.contains_key(&doc.id) {
            continue;
        }
        let record = extractor.record(&doc);
        let subjects = record
            .subjects
            .iter()
            .map(|s| serde_json::to_value(s).expect("records serialize"))
            .collect();
        preds.insert(doc.id.clone(), subjects);
        articles.push((doc, record));
    }
    let score = docket::eval::score(&gold, &preds);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&docket::eval::to_json(&score))?
        );
    } else {
        println!("{}", docket::eval::format_table(&score));
    }
    if args.show_errors {
        for diff in docket::eval::differences(&gold, &preds) {
            if let Some((doc, record)) = articles.iter().find(|(d, _)| d.id == diff.article) {
                println!("{}", docket::eval::describe(&diff, record, &doc.text));
            }
        }
    }
    Ok(EXIT_OK)
}

fn read_gold(dir: &Path) -> Result<BTreeMap<String, Vec<serde_json::Value>>> {
    let mut gold = BTreeMap::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read gold folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not valid JSON", path.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = stem
            .strip_suffix(".gold")
            .map(str::to_string)
            .unwrap_or(stem);
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .map_or(stem, str::to_string);
        let subjects = value
            .get("subjects")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        gold.insert(id, subjects);
    }
    Ok(gold)
}
