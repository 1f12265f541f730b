//! PDF -> text: the text layer (via `pdf-extract`), cleaned the way a reader
//! would read it: running page headers and footers (lines repeated on most
//! pages) and bare page numbers removed, words hyphenated across a line
//! break joined.

use std::collections::BTreeMap;

/// The text of a PDF, or a message saying why it has none.
pub fn to_text(bytes: &[u8]) -> Result<String, String> {
    // pdf-extract panics on some malformed files; a bad PDF must be an
    // error for that input, never a crash of the batch.
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes))
        .map_err(|_| "the PDF could not be parsed (malformed file)".to_string())?
        .map_err(|e| format!("the PDF could not be read: {e}"))?;
    let text = clean(&extracted);
    if text.trim().is_empty() {
        return Err("the PDF has no text layer (scanned image?); run OCR first".to_string());
    }
    Ok(text)
}

/// Removes running headers/footers and page numbers, joins hyphenated words.
pub fn clean(raw: &str) -> String {
    let pages: Vec<&str> = raw.split('\u{c}').collect();
    let repeated = running_lines(&pages);
    let mut out = String::with_capacity(raw.len());
    for page in &pages {
        for line in page.lines() {
            let trimmed = line.trim();
            if repeated.contains_key(trimmed) || is_page_number(trimmed) {
                continue;
            }
            if out.ends_with('-') && trimmed.starts_with(|c: char| c.is_lowercase()) {
                out.pop();
                out.push_str(trimmed);
            } else {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(trimmed);
            }
        }
        // A page break is not a paragraph break: sentences run across pages.
    }
    squeeze_blank_lines(&out)
}

/// Lines that appear on at least half the pages (and on 3 or more) are running headers or footers.
fn running_lines(pages: &[&str]) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for page in pages {
        let mut seen: Vec<&str> = page
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        for line in seen {
            *counts.entry(line.to_string()).or_insert(0) += 1;
        }
    }
    let threshold = (pages.len() / 2).max(3);
    counts.retain(|_, n| *n >= threshold);
    counts
}

fn is_page_number(line: &str) -> bool {
    let core = line
        .trim_start_matches("Page ")
        .split(" of ")
        .next()
        .unwrap_or(line);
    !line.is_empty() && core.len() <= 4 && core.chars().all(|c| c.is_ascii_digit())
}

fn squeeze_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank == 1 {
                out.push('\n');
            }
        } else {
            blank = 0;
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_running_headers_page_numbers_and_joins_hyphens() {
        let page = |n: usize, body: &str| {
            format!("U.S. Immigration and Customs Enforcement\n{body}\n{n}\n")
        };
        let raw = [
            page(1, "He was arrest-\ned for DUI."),
            page(2, "Second page."),
            page(3, "Third page."),
        ]
        .join("\u{c}");
        assert_eq!(
            clean(&raw),
            "He was arrested for DUI.\nSecond page.\nThird page."
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(to_text(b"%PDF-1.4 not really").is_err());
    }
}
