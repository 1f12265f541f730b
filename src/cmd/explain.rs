//! `docket explain`: an article with every mention marked, then its subjects;
//! `--json` gives the trace of what set every field and why mentions were left.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::ValueEnum;
use docket::review::{marked, trace};
use docket::Record;

use crate::{load_extractor, read_document, PackArgs, EXIT_OK};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    Always,
    Never,
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub pack: PackArgs,
    /// Print the trace as JSON: for every subject field the mentions and
    /// rules that set it, and every mention left unattached with the reason.
    #[arg(long)]
    pub json: bool,
    /// Colour the marks instead of bracketing them.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// The article.
    pub input: PathBuf,
}

pub fn explain(args: ExplainArgs) -> Result<u8> {
    let doc = read_document(&args.input)?;
    let extractor = load_extractor(&args.pack)?.with_expected_input(doc.text.len() as u64);
    let extraction = extractor.extract(&doc);
    let pack = extractor.pack();
    if args.json {
        let trace = trace::trace(pack, &doc, &extraction);
        let json = serde_json::to_string_pretty(&trace)? + "\n";
        std::io::stdout().lock().write_all(json.as_bytes())?;
        return Ok(EXIT_OK);
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let record = Record::build(pack, &doc, &extraction);
    let text = marked::render(pack, &doc, &extraction, &record, color);
    // Written, not printed: a closed pipe (`| head`) is an error main ignores, not a panic.
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}
