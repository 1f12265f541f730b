//! `docket explain`: an article with every mention marked, then its subjects.

use std::path::PathBuf;

use anyhow::Result;

use crate::{load_extractor, read_document, PackArgs, EXIT_OK};

#[derive(clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub pack: PackArgs,
    /// The article.
    pub input: PathBuf,
}

pub fn explain(args: ExplainArgs) -> Result<u8> {
    let extractor = load_extractor(&args.pack)?;
    let doc = read_document(&args.input)?;
    print!("{}", extractor.caret_view(&doc));
    Ok(EXIT_OK)
}
