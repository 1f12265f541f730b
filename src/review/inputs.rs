//! Reading articles for the review commands that extract many inputs
//! (`diff --rules`, `report`): every input [`crate::batch::Input`] as documents.
//!
//! In: expanded inputs. Out: documents in input order, or why one could not
//! be read. A JSONL input gives one document per line; other files are read
//! in the format their extension implies (plain text otherwise); stdin is JSONL.

use std::io::BufReader;
use std::path::Path;

use crate::batch::Input;
use crate::error::SourceError;
use crate::source::{read_article, InputFormat, JsonlReader};
use crate::Document;

/// The documents of one input.
pub fn documents(input: &Input) -> Vec<Result<Document, SourceError>> {
    match input {
        Input::Stdin => JsonlReader::new(std::io::stdin().lock(), "-").collect(),
        Input::File { path, .. } => file_documents(path),
    }
}

fn file_documents(path: &Path) -> Vec<Result<Document, SourceError>> {
    let shown = path.display().to_string();
    let io = |source| SourceError::Io {
        path: shown.clone(),
        source,
    };
    let format = InputFormat::from_path(path).unwrap_or(InputFormat::Text);
    if format == InputFormat::Jsonl {
        return match std::fs::File::open(path) {
            Ok(file) => JsonlReader::new(BufReader::new(file), &shown).collect(),
            Err(e) => vec![Err(io(e))],
        };
    }
    let raw = match std::fs::read(path) {
        Ok(raw) => raw,
        Err(e) => return vec![Err(io(e))],
    };
    let id = path
        .file_stem()
        .map_or_else(|| "-".to_string(), |s| s.to_string_lossy().into_owned());
    vec![read_article(format, &id, &shown, raw)]
}
