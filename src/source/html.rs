//! HTML -> text: the visible text of a page, read with a real HTML parser
//! (html5ever via `scraper`). Scripts, styles and other non-content elements
//! are dropped, entities decoded, and block elements become paragraph
//! breaks, so the segmenter sees the same paragraphs a reader does.

use scraper::{Html, Node};

/// Elements whose content is never text a reader sees.
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas",
];

/// Elements that start and end a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "td",
    "th",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "br",
    "hr",
    "address",
    "form",
    "fieldset",
    "details",
    "summary",
];

/// The page's title (from `<title>` or the first `<h1>`) and its visible text.
pub fn to_text(html: &str) -> (Option<String>, String) {
    let doc = Html::parse_document(html);
    let mut out = String::with_capacity(html.len() / 2);
    let mut title = None;
    let mut first_h1 = None;
    // An explicit stack, not recursion: deeply nested pages must not overflow.
    let mut stack = vec![(doc.tree.root(), false)];
    while let Some((node, closing)) = stack.pop() {
        match node.value() {
            Node::Element(e) if closing && BLOCKS.contains(&e.name()) => paragraph_break(&mut out),
            Node::Element(_) if closing => {}
            Node::Element(e) => {
                let name = e.name();
                if name == "head" {
                    title = title.or_else(|| {
                        node.descendants()
                            .find(|n| n.value().as_element().is_some_and(|e| e.name() == "title"))
                            .map(collect_text)
                    });
                }
                if HIDDEN.contains(&name) {
                    continue;
                }
                if name == "h1" && first_h1.is_none() {
                    first_h1 = Some(collect_text(node));
                }
                if BLOCKS.contains(&name) {
                    paragraph_break(&mut out);
                }
                stack.push((node, true));
                for child in node.children().rev() {
                    stack.push((child, false));
                }
            }
            Node::Text(t) if !closing => push_text(&mut out, t),
            _ if !closing => {
                for child in node.children().rev() {
                    stack.push((child, false));
                }
            }
            _ => {}
        }
    }
    let title = title
        .or(first_h1)
        .map(|t| squeeze(&t))
        .filter(|t| !t.is_empty());
    (title, out.trim().to_string())
}

fn collect_text(node: ego_tree::NodeRef<'_, Node>) -> String {
    node.descendants()
        .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
        .collect::<String>()
}

fn push_text(out: &mut String, text: &str) {
    let squeezed = squeeze(text);
    if squeezed.is_empty() {
        if !out.is_empty()
            && !out.ends_with(char::is_whitespace)
            && text.contains(char::is_whitespace)
        {
            out.push(' ');
        }
        return;
    }
    let needs_space = text.starts_with(char::is_whitespace)
        && !out.is_empty()
        && !out.ends_with(char::is_whitespace);
    if needs_space {
        out.push(' ');
    }
    out.push_str(&squeezed);
    if text.ends_with(char::is_whitespace) {
        out.push(' ');
    }
}

fn paragraph_break(out: &mut String) {
    let trimmed = out.trim_end_matches([' ', '\t']).len();
    out.truncate(trimmed);
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_with_paragraphs_entities_and_no_scripts() {
        let html = "<html><head><title>ICE &amp; Jails</title><style>p{}</style></head><body>\
            <script>var x = 'arrested';</script><h1>Headline</h1><p>A 30-year-old <b>Mexican</b>\n national&nbsp;was held.</p>\
            <ul><li>one</li><li>two &lt;b&gt;</li></ul></body></html>";
        let (title, text) = to_text(html);
        assert_eq!(title.as_deref(), Some("ICE & Jails"));
        assert_eq!(
            text,
            "Headline\n\nA 30-year-old Mexican national was held.\n\none\n\ntwo <b>"
        );
    }

    #[test]
    fn deeply_nested_html_does_not_overflow() {
        let html = format!(
            "{}deep text{}",
            "<div>".repeat(10_000),
            "</div>".repeat(10_000)
        );
        let (_, text) = to_text(&html);
        assert!(text.contains("deep text"));
    }
}
