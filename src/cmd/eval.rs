//! `docket eval`: score extractions against gold files, as eval/score.py does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::{load_extractor, PackArgs, EXIT_OK, EXIT_SOME_FAILED};

#[derive(clap::Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub pack: PackArgs,
    /// Folder of gold files (<id>.json); inputs whose stem has one are scored.
    #[arg(long, value_name = "DIR")]
    pub gold: PathBuf,
    /// Print the score as JSON.
    #[arg(long)]
    pub json: bool,
    /// List every false positive and false negative with its context and rule.
    #[arg(long)]
    pub show_errors: bool,
    /// Input files, folders (recursive), glob patterns, or - for JSONL on stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

pub fn eval(args: EvalArgs) -> Result<u8> {
    let inputs = super::ExpandedInputs::new(&args.inputs);
    let extractor = load_extractor(&args.pack)?.with_expected_input(inputs.expected_bytes());
    let gold = read_gold(&args.gold)?;
    let mut preds = BTreeMap::new();
    let mut articles = Vec::new();
    let failed = inputs.for_each_document(|doc| {
        if !gold.contains_key(&doc.id) {
            return;
        }
        let record = extractor.record(&doc);
        let subjects = record
            .subjects
            .iter()
            .map(|s| serde_json::to_value(s).expect("records serialize"))
            .collect();
        preds.insert(doc.id.clone(), subjects);
        articles.push(doc);
    });
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
        // Records borrow their document: extracted again, once each, for
        // the few articles that differ (extraction is deterministic).
        let mut described = None;
        for diff in docket::eval::differences(&gold, &preds) {
            if described
                .as_ref()
                .is_none_or(|(doc, _): &(&docket::Document, _)| doc.id != diff.article)
            {
                described = articles
                    .iter()
                    .find(|d| d.id == diff.article)
                    .map(|doc| (doc, extractor.record(doc)));
            }
            if let Some((doc, record)) = &described {
                println!("{}", docket::eval::describe(&diff, record, &doc.text));
            }
        }
    }
    Ok(if failed { EXIT_SOME_FAILED } else { EXIT_OK })
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
