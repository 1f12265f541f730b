//! Sources: bytes of an input -> a [`Document`] with its text and header.
//!
//! In: raw bytes and a name. Out: the decoded text (UTF-8, invalid bytes
//! replaced and counted, a leading BOM removed), its SHA-256, and the header
//! facts: a title line and an `Author | Date` byline when the article has
//! them. All output offsets refer to [`Document::text`].

use sha2::{Digest, Sha256};

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
        let sha256 = hex(&Sha256::digest(raw));
        let (text, replaced_bytes) = decode(raw);
        let (meta, body_start) = read_header(&text);
        Document {
            id: id.to_string(),
            path: path.to_string(),
            bytes: raw.len() as u64,
            sha256,
            text,
            meta,
            body_start,
            replaced_bytes,
        }
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
fn decode(raw: &[u8]) -> (String, usize) {
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    match std::str::from_utf8(raw) {
        Ok(s) => (s.to_string(), 0),
        Err(_) => {
            let text = String::from_utf8_lossy(raw).into_owned();
            let replaced = text.matches('\u{FFFD}').count() - count_literal_replacement(raw);
            (text, replaced)
        }
    }
}

fn count_literal_replacement(raw: &[u8]) -> usize {
    raw.windows(3)
        .filter(|w| *w == "\u{FFFD}".as_bytes())
        .count()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    fn invalid_utf8_is_replaced_and_counted_and_bom_dropped() {
        let doc = Document::from_bytes("a", "a.txt", b"\xEF\xBB\xBFok \xFF\xFE end");
        assert!(doc.text.starts_with("ok "));
        assert_eq!(doc.replaced_bytes, 2);
        assert_eq!(doc.sha256.len(), 64);
    }
}
