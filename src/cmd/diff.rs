//! `docket diff`: what changed between two runs, per article and per field.
//! Either two record files (`OLD.jsonl NEW.jsonl`), or two rule packs run
//! over the same articles (`--rules OLD --rules NEW INPUTS...`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use docket::review::diff::{self, Records};
use docket::{Document, Extractor};
use rayon::prelude::*;

use crate::{EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    /// Changes per article, then a per-field summary.
    Text,
    /// The whole diff as one JSON object.
    Json,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Rule pack folder, twice: OLD then NEW, both run over INPUTS. Given
    /// once, the embedded default pack is OLD.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// OLD.jsonl NEW.jsonl (records from `docket extract`); with --rules,
    /// the articles (files, folders, globs).
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

pub fn diff(args: DiffArgs) -> Result<u8> {
    let usage = match (args.rules.len(), args.inputs.len()) {
        (0, 2) | (1 | 2, _) => None,
        (0, _) => Some("give two record files (OLD.jsonl NEW.jsonl), or --rules with articles"),
        _ => Some("give --rules once (embedded pack vs DIR) or twice (OLD vs NEW)"),
    };
    if let Some(message) = usage {
        eprintln!("docket: diff: {message}");
        return Ok(EXIT_USAGE);
    }
    let (old, new, failed) = if args.rules.is_empty() {
        read_pair(&args.inputs)?
    } else {
        run_packs(&args.rules, &args.inputs)?
    };
    let result = diff::diff(&old, &new);
    let text = match args.format {
        DiffFormat::Text => diff::format_text(&result),
        DiffFormat::Json => serde_json::to_string_pretty(&result)? + "\n",
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if result.is_empty() && !failed {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    })
}

fn read_pair(paths: &[String]) -> Result<(Records, Records, bool)> {
    let [old, new] = paths else {
        bail!("two record files expected");
    };
    let read = |path: &String| -> Result<Records> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{path}: cannot read"))?;
        diff::read_records(&text).map_err(|e| anyhow::anyhow!("{path}: {e}"))
    };
    Ok((read(old)?, read(new)?, false))
}

/// Extracts every input with both packs (examples must pass, as for extract).
fn run_packs(rules: &[PathBuf], args: &[String]) -> Result<(Records, Records, bool)> {
    let inputs = super::ExpandedInputs::new(args);
    let bytes = inputs.expected_bytes();
    let old = match rules {
        [old, _] => Extractor::from_dir(old)?,
        _ => Extractor::embedded()?,
    }
    .with_expected_input(bytes);
    let new =
        Extractor::from_dir(rules.last().expect("one or two packs"))?.with_expected_input(bytes);
    let mut docs: Vec<Document> = Vec::new();
    let failed = inputs.for_each_document(|doc| docs.push(doc));
    let subjects = |extractor: &Extractor, doc: &Document| -> Vec<serde_json::Value> {
        let record = extractor.record(doc);
        let value = serde_json::to_value(&record.subjects).expect("records serialize");
        value.as_array().cloned().unwrap_or_default()
    };
    let pairs: Vec<_> = docs
        .par_iter()
        .map(|doc| (doc.id.clone(), subjects(&old, doc), subjects(&new, doc)))
        .collect();
    let (mut old_records, mut new_records) = (Records::new(), Records::new());
    for (id, o, n) in pairs {
        diff::insert(&mut old_records, id.clone(), o);
        diff::insert(&mut new_records, id, n);
    }
    Ok((old_records, new_records, failed))
}
