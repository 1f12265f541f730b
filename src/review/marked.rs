//! The text view of `docket explain`: the whole article with every mention
//! marked in place and labelled `field=value [rule-id] -> subject`, then the
//! subjects as a table.
//!
//! Marks are `[span]{label}`, or colours when `color` is set (a terminal).
//! Overlapping mentions ("woman" inside "woman in her 70s") share one mark
//! whose labels quote each mention's own text, so marks never nest or cross.

use std::fmt::Write;
use std::ops::Range;

use super::trace::{role_label, roles, Role};
use crate::mention::{Field, Mention};
use crate::output::caret::subject_table;
use crate::rules::Pack;
use crate::source::Document;
use crate::{Extraction, Record};

/// Mentions whose spans overlap, merged: the union span and the mention indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Union of the spans.
    pub span: Range<usize>,
    /// Mention indexes, in mention order.
    pub mentions: Vec<usize>,
}

/// Groups mentions (sorted by start) into clusters of overlapping spans.
pub fn clusters(mentions: &[Mention]) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    for (i, m) in mentions.iter().enumerate() {
        match out.last_mut() {
            Some(c) if m.start < c.span.end => {
                c.span.end = c.span.end.max(m.end);
                c.mentions.push(i);
            }
            _ => out.push(Cluster {
                span: m.start..m.end.max(m.start),
                mentions: vec![i],
            }),
        }
    }
    out
}

/// `field=value [rule-id] -> role`, prefixed by the mention's own text when
/// it covers only part of its cluster.
pub fn mention_label(
    pack: &Pack,
    doc: &Document,
    mentions: &[Mention],
    roles: &[Role],
    cluster: &Cluster,
    i: usize,
) -> String {
    let m = &mentions[i];
    let own = if (m.start..m.end) == cluster.span {
        String::new()
    } else {
        format!("{:?} ", squeeze(&doc.text[m.start..m.end]))
    };
    format!(
        "{own}{}={} [{}] -> {}",
        m.field,
        m.value,
        pack.rules[m.rule].id,
        role_label(&roles[i], mentions)
    )
}

/// Renders the marked article and the subject table.
pub fn render(
    pack: &Pack,
    doc: &Document,
    extraction: &Extraction,
    record: &Record,
    color: bool,
) -> String {
    let roles = roles(extraction);
    let mentions = &extraction.mentions;
    let mut out = String::new();
    let mut at = 0;
    for cluster in clusters(mentions) {
        out.push_str(&doc.text[at..cluster.span.start]);
        let labels: Vec<String> = cluster
            .mentions
            .iter()
            .map(|&i| mention_label(pack, doc, mentions, &roles, &cluster, i))
            .collect();
        let span = &doc.text[cluster.span.clone()];
        let labels = labels.join("; ");
        if color {
            let code = ansi_color(mentions[cluster.mentions[0]].field);
            let _ = write!(
                out,
                "\x1b[1;4;{code}m{span}\x1b[0m\x1b[2m{{{labels}}}\x1b[0m"
            );
        } else {
            let _ = write!(out, "[{span}]{{{labels}}}");
        }
        at = cluster.span.end;
    }
    out.push_str(&doc.text[at..]);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&subject_table(record));
    out
}

/// One colour per field, so a reader sees at a glance what was found.
fn ansi_color(field: Field) -> u8 {
    match field {
        Field::Name => 34,
        Field::Age => 33,
        Field::Sex => 35,
        Field::Nationality => 32,
        Field::Arrests | Field::Detainer => 36,
        Field::Charge => 31,
        _ => 90,
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::Value;

    fn mention(start: usize, end: usize) -> Mention {
        Mention {
            field: Field::Age,
            value: Value::Int(1),
            start,
            end,
            rule: 0,
            sentence: 0,
        }
    }

    #[test]
    fn overlapping_mentions_share_a_cluster() {
        let ms = [
            mention(0, 5),
            mention(0, 16),
            mention(3, 4),
            mention(20, 22),
        ];
        let cs = clusters(&ms);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].span, 0..16);
        assert_eq!(cs[0].mentions, [0, 1, 2]);
        assert_eq!(cs[1].span, 20..22);
    }
}
