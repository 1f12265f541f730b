//! The reviewer's view: each sentence that produced mentions, with carets
//! under every span labelled `field=value [rule-id] -> subject`, then the
//! subjects as a table. Offsets never appear, so snapshots of this view stay
//! readable and a one-rule change gives a short diff.

use std::fmt::Write;

use super::Record;
use crate::output::fate_label;
use crate::rules::Pack;
use crate::source::Document;
use crate::Extraction;

/// Renders the caret view of one extraction.
pub fn render(pack: &Pack, doc: &Document, extraction: &Extraction, record: &Record) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mentions = &extraction.mentions;
    for sentence in &extraction.sentences {
        let first = next;
        while next < mentions.len() && mentions[next].start < sentence.end {
            next += 1;
        }
        if first == next {
            continue;
        }
        let line_no = doc.text[..sentence.start].matches('\n').count() + 1;
        let text = single_line(&doc.text[sentence.start..sentence.end]);
        let gutter = format!("{line_no:>4} | ");
        let _ = writeln!(out, "{gutter}{text}");
        for (i, m) in mentions.iter().enumerate().take(next).skip(first) {
            let start = m.start.max(sentence.start);
            let end = m.end.min(sentence.end).max(start);
            let column = doc.text[sentence.start..start].chars().count();
            let width = doc.text[start..end].chars().count().max(1);
            let label = format!(
                "{}={} [{}] -> {}",
                m.field,
                m.value,
                pack.rules[m.rule].id,
                fate_label(&extraction.assembly.fates[i])
            );
            let _ = writeln!(
                out,
                "{}{}{} {label}",
                " ".repeat(gutter.len()),
                " ".repeat(column),
                "^".repeat(width)
            );
        }
        out.push('\n');
    }
    out.push_str(&subject_table(record));
    out
}

fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The subjects as a fixed-width table.
pub fn subject_table(record: &Record) -> String {
    let header = [
        "subject",
        "name",
        "age",
        "sex",
        "nationality",
        "arrests",
        "detainer",
        "charges",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    let dash = || "-".to_string();
    for s in &record.subjects {
        let charges: Vec<String> = s
            .charges
            .iter()
            .map(|c| format!("{} {} ({})", c.nibrs, c.phase, c.text))
            .collect();
        rows.push(vec![
            s.id.clone(),
            s.name.clone().unwrap_or_else(dash),
            s.age.map_or_else(dash, |a| a.to_string()),
            s.sex.clone().unwrap_or_else(dash),
            s.nationality.clone().unwrap_or_else(dash),
            s.arrests.map_or_else(dash, |a| a.to_string()),
            s.detainer.clone().unwrap_or_else(dash),
            if charges.is_empty() {
                dash()
            } else {
                charges.join("; ")
            },
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    if record.subjects.is_empty() {
        out.push_str("(no subjects)\n");
    }
    out
}
