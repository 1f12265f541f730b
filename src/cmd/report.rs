//! `docket report`: a static HTML report (index plus one page per article)
//! for reviewing extractions in a browser.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use docket::review::html;
use docket::Record;

use crate::{load_extractor, PackArgs, EXIT_OK, EXIT_SOME_FAILED};

#[derive(clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub pack: PackArgs,
    /// Folder to write index.html and the article pages into (created if needed).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Input files, folders (recursive), glob patterns, or - for JSONL on stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

pub fn report(args: ReportArgs) -> Result<u8> {
    let inputs = super::ExpandedInputs::new(&args.inputs);
    let extractor = load_extractor(&args.pack)?.with_expected_input(inputs.expected_bytes());
    let pack = extractor.pack();
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("{}: cannot create", args.output.display()))?;
    let mut taken = BTreeSet::from(["index.html".to_string()]);
    let mut entries = Vec::new();
    let mut written = Ok(());
    let failed = inputs.for_each_document(|doc| {
        if written.is_err() {
            return;
        }
        let extraction = extractor.extract(&doc);
        let record = Record::build(pack, &doc, &extraction);
        let name = html::page_name(&doc.id, &mut taken);
        written = write(
            &args.output.join(&name),
            &html::article_page(pack, &doc, &extraction, &record),
        );
        entries.push(html::IndexEntry::new(&name, &doc, &extraction));
    });
    written?;
    let index = args.output.join("index.html");
    write(&index, &html::index_page(&entries, pack))?;
    eprintln!("docket: {} articles: {}", entries.len(), index.display());
    Ok(if failed { EXIT_SOME_FAILED } else { EXIT_OK })
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}
