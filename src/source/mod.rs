//! Sources: bytes of an input -> a [`Document`] with its text and header.
//!
//! In: raw bytes, a name and an [`InputFormat`]. Out: the text docket
//! extracts from (plain text and Markdown as decoded, HTML's visible text,
//! a PDF's cleaned text layer, a JSONL record's `text`), its SHA-256, and
//! the header facts: a title line and an `Author | Date` byline when the
//! article has them. All output offsets refer to [`Document::text`].

pub mod html;
pub mod pdf;

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::SourceError;

/// How an input's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputFormat {
    /// Plain text (UTF-8; invalid bytes replaced).
    Text,
    /// Markdown: read as text; the matching view drops link targets and emphasis.
    Markdown,
    /// HTML: visible text by a real parser.
    Html,
    /// PDF: the text layer.
    Pdf,
    /// JSON Lines: one article per line, `{"id", "text", "title"?, "author"?, "published"?}`.
    Jsonl,
}

impl InputFormat {
    /// The format a file name implies, if any.
    pub fn from_path(path: &Path) -> Option<InputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" | "text" => InputFormat::Text,
            "md" | "markdown" => InputFormat::Markdown,
            "html" | "htm" | "xhtml" => InputFormat::Html,
            "pdf" => InputFormat::Pdf,
            "jsonl" | "ndjson" => InputFormat::Jsonl,
            _ => return None,
        })
    }
}

/// Reads one whole-file article (any format but JSONL).
pub fn read_article(
    format: InputFormat,
    id: &str,
    path: &str,
    raw: Vec<u8>,
) -> Result<Document, SourceError> {
    match format {
        InputFormat::Text | InputFormat::Markdown => Ok(Document::from_vec(id, path, raw)),
        InputFormat::Html => {
            let (decoded, replaced) = decode(&raw);
            let (title, text) = html::to_text(&decoded);
            let mut doc = Document::from_text(
                id,
                path,
                text,
                Meta {
                    title,
                    ..Meta::default()
                },
            );
            doc.set_raw(&raw, replaced);
            Ok(doc)
        }
        InputFormat::Pdf => {
            let text = pdf::to_text(&raw).map_err(|message| SourceError::Format {
                path: path.to_string(),
                message,
            })?;
            let (meta, body_start) = read_header(&text);
            let mut doc = Document::from_text(id, path, text, meta);
            doc.body_start = body_start;
            doc.set_raw(&raw, 0);
            Ok(doc)
        }
        InputFormat::Jsonl => Err(SourceError::Format {
            path: path.to_string(),
            message: "JSONL holds many articles; read it with JsonlReader".to_string(),
        }),
    }
}

/// One JSONL input line.
#[derive(serde::Deserialize)]
struct JsonlArticle {
    id: Option<serde_json::Value>,
    text: String,
    title: Option<String>,
    author: Option<String>,
    published: Option<String>,
}

/// Streams the articles of a JSONL input, one line at a time, so memory does
/// not grow with the input. A bad line is an error naming `path:line`; the
/// lines after it are still read.
pub struct JsonlReader<R> {
    reader: R,
    path: String,
    line: usize,
    buffer: Vec<u8>,
}

impl<R: BufRead> JsonlReader<R> {
    /// Reads `reader`, naming it `path` in documents and errors.
    pub fn new(reader: R, path: &str) -> Self {
        JsonlReader {
            reader,
            path: path.to_string(),
            line: 0,
            buffer: Vec::new(),
        }
    }

    fn parse(&self, raw: &[u8]) -> Result<Document, SourceError> {
        let at = format!("{}:{}", self.path, self.line);
        let error = |message: String| SourceError::Format {
            path: at.clone(),
            message,
        };
        let (text, replaced) = decode(raw);
        let article: JsonlArticle = serde_json::from_str(&text).map_err(|e| {
            error(format!(
                "not a JSONL article ({e}); expected {{\"id\": ..., \"text\": ...}}"
            ))
        })?;
        let id = match article.id {
            Some(serde_json::Value::String(s)) => s,
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => format!("line-{}", self.line),
        };
        let meta = Meta {
            title: article.title,
            author: article.author,
            published: article.published,
        };
        let mut doc = Document::from_text(&id, &at, article.text, meta);
        doc.replaced_bytes = replaced;
        Ok(doc)
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<Document, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buffer.clear();
            self.line += 1;
            match self.reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(source) => {
                    return Some(Err(SourceError::Io {
                        path: format!("{}:{}", self.path, self.line),
                        source,
                    }))
                }
            }
            let raw = std::mem::take(&mut self.buffer);
            let trimmed = raw.trim_ascii();
            if trimmed.is_empty() {
                self.buffer = raw;
                continue;
            }
            let result = self.parse(trimmed);
            self.buffer = raw;
            return Some(result);
        }
    }
}

/// A decoded article.
#[derive(Debug, Clone)]
pub struct Document {
    /// Identifier: the file stem, or the `id` of a JSONL line.
    pub id: String,
    /// Where it came from, as the user named it.
    pub path: String,
    /// Size of the raw input in bytes.
    pub bytes: u64,
    /// SHA-256 of the raw input, hex.
    pub sha256: String,
    /// The text everything else refers to.
    pub text: String,
    /// Header facts.
    pub meta: Meta,
    /// Where the body starts (after the header lines) in `text`.
    pub body_start: usize,
    /// Invalid UTF-8 sequences replaced while decoding.
    pub replaced_bytes: usize,
}

/// Header facts of an article, as written (the published date is normalized later).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// The title line.
    pub title: Option<String>,
    /// The author part of the byline.
    pub author: Option<String>,
    /// The date part of the byline, as written.
    pub published: Option<String>,
}

impl Document {
    /// Decodes raw bytes into a document, reading a header when there is one.
    pub fn from_bytes(id: &str, path: &str, raw: &[u8]) -> Document {
        Document::from_vec(id, path, raw.to_vec())
    }

    /// [`Document::from_bytes`] keeping `raw` as the text when it is valid
    /// UTF-8: a copy of every article would cost a pass over it and fresh
    /// memory for it.
    pub fn from_vec(id: &str, path: &str, raw: Vec<u8>) -> Document {
        let sha256 = hex(&Sha256::digest(&raw));
        let bytes = raw.len() as u64;
        let (text, replaced_bytes) = decode_owned(raw);
        let (meta, body_start) = read_header(&text);
        Document {
            id: id.to_string(),
            path: path.to_string(),
            bytes,
            sha256,
            text,
            meta,
            body_start,
            replaced_bytes,
        }
    }

    fn set_raw(&mut self, raw: &[u8], replaced: usize) {
        self.bytes = raw.len() as u64;
        self.sha256 = hex(&Sha256::digest(raw));
        self.replaced_bytes = replaced;
    }

    /// A document from text already decoded, with header facts given by the
    /// caller (JSONL records carry them as fields), so the whole text is body.
    pub fn from_text(id: &str, path: &str, text: String, meta: Meta) -> Document {
        let sha256 = hex(&Sha256::digest(text.as_bytes()));
        Document {
            id: id.to_string(),
            path: path.to_string(),
            bytes: text.len() as u64,
            sha256,
            text,
            meta,
            body_start: 0,
            replaced_bytes: 0,
        }
    }
}

/// UTF-8 decoding that never fails: invalid sequences become U+FFFD.
/// Valid text is borrowed, not copied.
fn decode(raw: &[u8]) -> (Cow<'_, str>, usize) {
    let raw = raw.strip_prefix(BOM).unwrap_or(raw);
    // SIMD validation: std's, on articles full of curly quotes, was 2% of
    // a batch's time. Its error says nothing; std's lossy decoding follows.
    match simdutf8::basic::from_utf8(raw) {
        Ok(s) => (Cow::Borrowed(s), 0),
        Err(_) => {
            let (text, replaced) = decode_lossy(raw);
            (Cow::Owned(text), replaced)
        }
    }
}

/// [`decode`] of bytes it may keep: valid text becomes the string as it is.
fn decode_owned(mut raw: Vec<u8>) -> (String, usize) {
    if raw.starts_with(BOM) {
        raw.drain(..BOM.len());
    }
    if simdutf8::basic::from_utf8(&raw).is_err() {
        return decode_lossy(&raw);
    }
    // SAFETY: the line above validated exactly these bytes as UTF-8 (std's
    // own check would read them a second time, more slowly).
    (unsafe { String::from_utf8_unchecked(raw) }, 0)
}

/// The byte order mark a UTF-8 file may start with; not part of the text.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Text with every invalid sequence replaced, and how many were.
fn decode_lossy(raw: &[u8]) -> (String, usize) {
    let text = String::from_utf8_lossy(raw).into_owned();
    let replaced = text.matches('\u{FFFD}').count() - count_literal_replacement(raw);
    (text, replaced)
}

fn count_literal_replacement(raw: &[u8]) -> usize {
    raw.windows(3)
        .filter(|w| *w == "\u{FFFD}".as_bytes())
        .count()
}

/// Lowercase hexadecimal, two digits a byte (a formatted string per byte
/// cost half a percent of a batch).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// A title is a short first line without final punctuation; a byline is a
/// short `Author | Date` line right after it (blank lines allowed between).
fn read_header(text: &str) -> (Meta, usize) {
    let mut lines = LineCursor { text, at: 0 };
    lines.skip_blank();
    let Some((title, after_title)) = lines.next_line() else {
        return (Meta::default(), 0);
    };
    let title = title.trim();
    let looks_like_title =
        !title.is_empty() && title.chars().count() <= 200 && !title.ends_with(['.', ':', ',', ';']);
    if !looks_like_title {
        return (Meta::default(), 0);
    }
    let mut meta = Meta {
        title: Some(title.to_string()),
        ..Meta::default()
    };
    let mut body_start = after_title;
    lines.at = after_title;
    lines.skip_blank();
    if let Some((line, after)) = lines.next_line() {
        if let Some((author, date)) = byline(line) {
            meta.author = Some(author.to_string());
            meta.published = Some(date.to_string());
            body_start = after;
        }
    }
    (meta, body_start)
}

fn byline(line: &str) -> Option<(&str, &str)> {
    let (author, date) = line.trim().split_once(" | ")?;
    let (author, date) = (author.trim(), date.trim());
    let short = |s: &str| !s.is_empty() && s.chars().count() <= 80 && !s.contains('|');
    (short(author) && short(date)).then_some((author, date))
}

struct LineCursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> LineCursor<'a> {
    fn next_line(&mut self) -> Option<(&'a str, usize)> {
        if self.at >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.at..];
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        self.at += end;
        Some((rest[..end].trim_end_matches(['\n', '\r']), self.at))
    }

    fn skip_blank(&mut self) {
        while let Some(rest) = self.text.get(self.at..) {
            let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            if end == 0 || !rest[..end].trim().is_empty() {
                break;
            }
            self.at += end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_with_blank_line_between_title_and_byline() {
        let doc = Document::from_bytes(
            "a",
            "a.txt",
            b"Title Here\n\nJane Roe | July 17, 2019\n\nBody text.",
        );
        assert_eq!(doc.meta.title.as_deref(), Some("Title Here"));
        assert_eq!(doc.meta.author.as_deref(), Some("Jane Roe"));
        assert_eq!(doc.meta.published.as_deref(), Some("July 17, 2019"));
        assert_eq!(&doc.text[doc.body_start..], "\nBody text.");
    }

    #[test]
    fn no_header_when_first_line_is_a_sentence() {
        let doc = Document::from_bytes("a", "a.txt", b"A man was arrested.\nMore.");
        assert_eq!(doc.meta, Meta::default());
        assert_eq!(doc.body_start, 0);
    }

    #[test]
    fn jsonl_reader_streams_articles_and_locates_bad_lines() {
        let input = "{\"id\": \"a\", \"text\": \"One.\", \"title\": \"T\"}\n\n{\"id\": 7, \"text\"\n{\"text\": \"Two.\"}\n";
        let items: Vec<_> = JsonlReader::new(input.as_bytes(), "in.jsonl").collect();
        assert_eq!(items.len(), 3);
        let first = items[0].as_ref().unwrap();
        assert_eq!(
            (
                first.id.as_str(),
                first.text.as_str(),
                first.meta.title.as_deref()
            ),
            ("a", "One.", Some("T"))
        );
        let err = items[1].as_ref().unwrap_err().to_string();
        assert!(err.starts_with("in.jsonl:3: not a JSONL article"), "{err}");
        assert_eq!(items[2].as_ref().unwrap().id, "line-4");
    }

    #[test]
    fn formats_from_extensions() {
        assert_eq!(
            InputFormat::from_path(Path::new("a/b.HTML")),
            Some(InputFormat::Html)
        );
        assert_eq!(
            InputFormat::from_path(Path::new("a.jsonl")),
            Some(InputFormat::Jsonl)
        );
        assert_eq!(InputFormat::from_path(Path::new("a.json")), None);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted_and_bom_dropped() {
        let doc = Document::from_bytes("a", "a.txt", b"\xEF\xBB\xBFok \xFF\xFE end");
        assert!(doc.text.starts_with("ok "));
        assert_eq!(doc.replaced_bytes, 2);
        assert_eq!(doc.sha256.len(), 64);
    }

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn valid_text_keeps_its_bytes_less_the_bom_and_hashes_the_raw_input() {
        let raw = "\u{FEFF}A \u{201C}quoted\u{201D} man.".as_bytes();
        let doc = Document::from_bytes("a", "a.txt", raw);
        assert_eq!(doc.text, "A \u{201C}quoted\u{201D} man.");
        assert_eq!(doc.replaced_bytes, 0);
        assert_eq!(doc.bytes, raw.len() as u64);
        assert_eq!(doc.sha256, hex(&Sha256::digest(raw)));
        assert_ne!(doc.sha256, hex(&Sha256::digest(doc.text.as_bytes())));
    }
}
