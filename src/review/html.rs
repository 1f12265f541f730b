//! The static HTML report of `docket report`: an index of articles and one
//! page per article with its text, every mention highlighted (hover or
//! keyboard focus shows field, value and rule id), beside a table of its
//! subjects whose cells link to their evidence span.
//!
//! Self-contained: inline CSS, no script, no font or network fetch. Every
//! text from the article or the rules is HTML-escaped. Overlapping mentions
//! share one highlight (see [`super::marked::clusters`]), so marks never nest.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::marked::{clusters, Cluster};
use super::trace::{mention_id, role_label, roles, Role};
use crate::assemble::Subject;
use crate::mention::Field;
use crate::normalize::squeeze;
use crate::rules::Pack;
use crate::source::Document;
use crate::{Extraction, Record};

/// One line of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// Article id.
    pub id: String,
    /// The article page's file name.
    pub file: String,
    /// Title, when the article has one.
    pub title: Option<String>,
    /// Subjects found.
    pub subjects: usize,
    /// Mentions found.
    pub mentions: usize,
    /// Mentions no subject took.
    pub unattached: usize,
}

impl IndexEntry {
    /// The index line of one extracted article.
    pub fn new(file: &str, doc: &Document, extraction: &Extraction) -> IndexEntry {
        let unattached = roles(extraction)
            .iter()
            .filter(|r| is_unattached(r))
            .count();
        IndexEntry {
            id: doc.id.clone(),
            file: file.to_string(),
            title: doc.meta.title.clone(),
            subjects: extraction.assembly.subjects.len(),
            mentions: extraction.mentions.len(),
            unattached,
        }
    }
}

fn is_unattached(role: &Role) -> bool {
    matches!(
        role,
        Role::Unattached(_) | Role::Overridden { .. } | Role::Unconfirmed(_)
    )
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A safe, unique page file name for an article id (`taken` holds names in use).
pub fn page_name(id: &str, taken: &mut BTreeSet<String>) -> String {
    let mut stem: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    stem = stem.trim_start_matches('.').to_string();
    if stem.is_empty() || stem.eq_ignore_ascii_case("index") {
        stem = format!("article-{stem}");
    }
    let mut name = format!("{stem}.html");
    let mut n = 2;
    while !taken.insert(name.to_ascii_lowercase()) {
        name = format!("{stem}-{n}.html");
        n += 1;
    }
    name
}

const CSS: &str = r#"
:root { color-scheme: light; --ink: #1b1b1b; --muted: #4d4d4d; --line: #c9c9c9; --link: #0b50c0; --focus: #0b50c0; }
* { box-sizing: border-box; }
body { margin: 0; background: #f7f7f5; color: var(--ink); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1440px; margin: 0 auto; padding: 0 1.5rem; }
header { padding-top: .75rem; }
h1 { font-size: 1.4rem; line-height: 1.3; margin: .25rem 0; }
h2 { font-size: 1.05rem; margin: 1rem 0 .5rem; }
.meta { color: var(--muted); margin: 0 0 .75rem; font-size: .9rem; overflow-wrap: anywhere; }
a { color: var(--link); }
a:focus-visible, .m:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; z-index: 20; }
.layout { display: grid; grid-template-columns: minmax(0, 42rem) minmax(0, 1fr); gap: 1.5rem; align-items: start; padding-bottom: 2rem; }
@media (max-width: 960px) { .layout { grid-template-columns: minmax(0, 1fr); } .side { position: static; max-height: none; } }
.text { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin: 0; font-size: 1rem; line-height: 1.75; }
.side { position: sticky; top: .75rem; max-height: calc(100vh - 1.5rem); overflow: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .875rem; line-height: 1.45; }
caption { caption-side: top; text-align: left; }
th, td { border: 1px solid var(--line); padding: .3rem .4rem; text-align: left; vertical-align: top; }
th, td.v { white-space: nowrap; }
thead th { background: #ecebe6; position: sticky; top: 0; }
td.num, th.num { text-align: right; }
.none { color: var(--muted); }
.m { position: relative; color: var(--ink); border-radius: 3px; padding: 0 1px; cursor: help; scroll-margin-top: 40vh; }
.m:target { outline: 3px solid #b3261e; outline-offset: 1px; }
.tip { display: none; position: absolute; left: 0; top: calc(100% + 4px); z-index: 10; width: max-content; max-width: min(34rem, 80vw); background: #1f2328; color: #fff; border-radius: 5px; padding: .35rem .55rem; font-size: .82rem; line-height: 1.45; white-space: normal; box-shadow: 0 2px 8px rgba(0,0,0,.3); }
.m:hover > .tip, .m:focus > .tip, .m:target > .tip { display: block; }
.tip .row { display: block; }
.tip .rule { color: #c8d7ff; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.f-name { background: #cfe3fa; }
.f-age { background: #ffe7a3; }
.f-sex { background: #e6dafa; }
.f-nationality { background: #c9ecd4; }
.f-arrests { background: #ffd9b8; }
.f-charge { background: #fbcfcf; }
.f-detainer { background: #c4ebe8; }
.f-other { background: #e8e8e8; }
.un { background: #fff; border: 1px dashed #6b6b6b; }
.legend { display: flex; flex-wrap: wrap; gap: .35rem .6rem; padding: 0; margin: .25rem 0 0; list-style: none; font-size: .85rem; }
.legend .m { cursor: default; }
details { margin-top: 1rem; font-size: .9rem; }
details ul { padding-left: 1.2rem; }
"#;

/// The page of one article.
pub fn article_page(
    pack: &Pack,
    doc: &Document,
    extraction: &Extraction,
    record: &Record,
) -> String {
    let title = doc.meta.title.clone().unwrap_or_else(|| doc.id.clone());
    let roles = roles(extraction);
    let clusters = clusters(&extraction.mentions);
    let view = View {
        pack,
        doc,
        extraction,
        roles: &roles,
        clusters: &clusters,
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<a class=\"skip\" href=\"#subjects\">Skip to the subjects</a>\n<header><nav><a href=\"index.html\">&larr; All articles</a></nav>\n<h1>{}</h1>\n<p class=\"meta\">{} &middot; {} subjects &middot; {} mentions &middot; rules {} {}</p></header>\n",
        escape(&title),
        escape(&doc.path),
        record.subjects.len(),
        extraction.mentions.len(),
        escape(&pack.name),
        escape(&pack.version),
    );
    let _ = write!(
        body,
        "<main class=\"layout\">\n<section aria-labelledby=\"text-h\"><h2 id=\"text-h\">Text</h2>\n<p class=\"text\">{}</p></section>\n<section class=\"side\" id=\"subjects\" aria-labelledby=\"subjects-h\"><h2 id=\"subjects-h\">Subjects</h2>\n{}{}{}</section>\n</main>\n",
        view.text(),
        view.subject_table(),
        legend(),
        view.unattached_list(),
    );
    page(&format!("{} - docket report", title), &body)
}

/// The index of every article page.
pub fn index_page(entries: &[IndexEntry], pack: &Pack) -> String {
    let subjects: usize = entries.iter().map(|e| e.subjects).sum();
    let mut rows = String::new();
    for e in entries {
        let _ = writeln!(
            rows,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&e.file),
            escape(&e.id),
            e.title.as_deref().map_or_else(|| "<span class=\"none\">&ndash;</span>".to_string(), escape),
            e.subjects,
            e.mentions,
            e.unattached
        );
    }
    let body = format!(
        "<header><h1>docket report</h1>\n<p class=\"meta\">{} articles &middot; {subjects} subjects &middot; rules {} {}</p></header>\n<main>\n<table>\n<caption class=\"meta\">Articles in input order; open one to see its text with every mention marked.</caption>\n<thead><tr><th scope=\"col\">Article</th><th scope=\"col\">Title</th><th scope=\"col\" class=\"num\">Subjects</th><th scope=\"col\" class=\"num\">Mentions</th><th scope=\"col\" class=\"num\">Not attached</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n</main>\n",
        entries.len(),
        escape(&pack.name),
        escape(&pack.version),
    );
    page("docket report", &body)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

fn legend() -> String {
    let items: String = [
        ("f-name", "name"),
        ("f-age", "age"),
        ("f-sex", "sex"),
        ("f-nationality", "nationality"),
        ("f-arrests", "arrests"),
        ("f-charge", "charge"),
        ("f-detainer", "detainer"),
        ("f-other", "person, cue or fact"),
        ("un", "not attached"),
    ]
    .iter()
    .map(|(class, label)| format!("<li><span class=\"m {class}\">{label}</span></li>"))
    .collect();
    format!("<h2>Legend</h2>\n<ul class=\"legend\">{items}</ul>\n<p class=\"meta\">Hover over or tab to a highlight to see its field, value and rule.</p>\n")
}

/// What one article page draws from.
struct View<'a> {
    pack: &'a Pack,
    doc: &'a Document,
    extraction: &'a Extraction,
    roles: &'a [Role],
    clusters: &'a [Cluster],
}

impl View<'_> {
    /// The element id of the highlight holding mention `i`.
    fn anchor(&self, i: usize) -> String {
        let m = &self.extraction.mentions[i];
        let c = self
            .clusters
            .iter()
            .find(|c| c.mentions.contains(&i))
            .map_or(m.start, |c| c.span.start);
        format!("c{c}")
    }

    fn text(&self) -> String {
        let text = &self.doc.text;
        let mut out = String::new();
        let mut at = 0;
        for cluster in self.clusters {
            out.push_str(&escape(&text[at..cluster.span.start]));
            out.push_str(&self.mark(cluster));
            at = cluster.span.end;
        }
        out.push_str(&escape(&text[at..]));
        out
    }

    fn mark(&self, cluster: &Cluster) -> String {
        let mentions = &self.extraction.mentions;
        let lead = cluster
            .mentions
            .iter()
            .copied()
            .find(|&i| matches!(self.roles[i], Role::Value(_)))
            .unwrap_or(cluster.mentions[0]);
        let class = if cluster
            .mentions
            .iter()
            .all(|&i| is_unattached(&self.roles[i]))
        {
            "un".to_string()
        } else {
            field_class(mentions[lead].field).to_string()
        };
        let rows: String = cluster
            .mentions
            .iter()
            .map(|&i| self.tip_row(cluster, i))
            .collect();
        let id = format!("c{}", cluster.span.start);
        format!(
            "<mark class=\"m {class}\" id=\"{id}\" tabindex=\"0\" aria-describedby=\"t{id}\">{}<span class=\"tip\" role=\"tooltip\" id=\"t{id}\">{rows}</span></mark>",
            escape(&self.doc.text[cluster.span.clone()])
        )
    }

    fn tip_row(&self, cluster: &Cluster, i: usize) -> String {
        let mentions = &self.extraction.mentions;
        let m = &mentions[i];
        let own = if (m.start..m.end) == cluster.span {
            String::new()
        } else {
            format!(
                "&ldquo;{}&rdquo; ",
                escape(&squeeze(&self.doc.text[m.start..m.end]))
            )
        };
        format!(
            "<span class=\"row\" data-mention=\"{}\">{own}<b>{}</b> = {} <span class=\"rule\">[{}]</span> &rarr; {}</span>",
            escape(&mention_id(m)),
            m.field,
            escape(&m.value.to_string()),
            escape(&self.pack.rules[m.rule].id),
            escape(&role_label(&self.roles[i], mentions))
        )
    }

    fn link(&self, i: usize, label: &str) -> String {
        format!("<a href=\"#{}\">{}</a>", self.anchor(i), escape(label))
    }

    /// The subjects table. Columns no subject fills are left out, so the
    /// table fits beside the text on a laptop screen.
    fn subject_table(&self) -> String {
        let subjects = &self.extraction.assembly.subjects;
        if subjects.is_empty() {
            return "<p>No subjects.</p>\n".to_string();
        }
        let fields: Vec<Field> = crate::output::SINGLE_VALUED_FIELDS
            .into_iter()
            .filter(|&f| subjects.iter().any(|s| s.slot(f).is_some()))
            .collect();
        let charges = subjects.iter().any(|s| !s.charges.is_empty());
        let mut head = String::from("<th scope=\"col\">subject</th>");
        for f in &fields {
            let _ = write!(head, "<th scope=\"col\">{f}</th>");
        }
        if charges {
            head.push_str("<th scope=\"col\">charges</th>");
        }
        let mut rows = String::new();
        for (k, s) in subjects.iter().enumerate() {
            let _ = write!(rows, "<tr id=\"s{0}\"><th scope=\"row\">s{0}</th>", k + 1);
            for &field in &fields {
                let _ = write!(rows, "<td class=\"v\">{}</td>", self.slot_cell(s, field));
            }
            if charges {
                let _ = write!(rows, "<td>{}</td>", self.charges_cell(s));
            }
            rows.push_str("</tr>\n");
        }
        format!("<table>\n<caption class=\"meta\">Each value links to the text it came from; fields no subject has are left out.</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody></table>\n")
    }

    fn slot_cell(&self, s: &Subject, field: Field) -> String {
        let Some(slot) = s.slot(field) else {
            return none();
        };
        let m = &self.extraction.mentions[slot.mention];
        let value = if field == Field::Name {
            squeeze(&self.doc.text[m.start..m.end])
        } else {
            slot.value.to_string()
        };
        self.link(slot.mention, &value)
    }

    fn charges_cell(&self, s: &Subject) -> String {
        if s.charges.is_empty() {
            return none();
        }
        let items: Vec<String> = s
            .charges
            .iter()
            .map(|c| {
                let first = &self.extraction.mentions[c.mentions[0]];
                let phrase = squeeze(&self.doc.text[first.start..first.end]);
                let label = format!("{} {}", c.code, c.phase.as_str());
                format!(
                    "{} {}",
                    self.link(c.mentions[0], &label),
                    escape(&format!("({phrase})"))
                )
            })
            .collect();
        items.join("<br>")
    }

    fn unattached_list(&self) -> String {
        let mentions = &self.extraction.mentions;
        let items: Vec<String> = (0..mentions.len())
            .filter(|&i| is_unattached(&self.roles[i]))
            .map(|i| {
                let m = &mentions[i];
                format!(
                    "<li>{} <span class=\"rule\">[{}]</span>: {}</li>",
                    self.link(i, &format!("{}={}", m.field, m.value)),
                    escape(&self.pack.rules[m.rule].id),
                    escape(&role_label(&self.roles[i], mentions))
                )
            })
            .collect();
        if items.is_empty() {
            return String::new();
        }
        format!(
            "<details><summary>{} mentions not attached to a subject</summary>\n<ul>\n{}\n</ul></details>\n",
            items.len(),
            items.join("\n")
        )
    }
}

fn none() -> String {
    "<span class=\"none\" aria-label=\"none\">&ndash;</span>".to_string()
}

fn field_class(field: Field) -> &'static str {
    match field {
        Field::Name => "f-name",
        Field::Age => "f-age",
        Field::Sex => "f-sex",
        Field::Nationality => "f-nationality",
        Field::Arrests => "f-arrests",
        Field::Charge => "f-charge",
        Field::Detainer => "f-detainer",
        _ => "f-other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_names_are_safe_and_unique() {
        let mut taken = BTreeSet::new();
        assert_eq!(page_name("d001", &mut taken), "d001.html");
        assert_eq!(page_name("d001", &mut taken), "d001-2.html");
        assert_eq!(page_name("../x y", &mut taken), "_x_y.html");
        assert_eq!(page_name("index", &mut taken), "article-index.html");
        assert_eq!(page_name("", &mut taken), "article-.html");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
