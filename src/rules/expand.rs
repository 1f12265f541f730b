//! Sub-pattern expansion: `{{NAME}}` and `{{NAME.code}}` references inside
//! patterns are replaced, recursively, by the named sub-pattern or lexicon
//! alternation, each wrapped in a non-capturing group.
//!
//! In: a pattern string and the table of definitions. Out: the expanded
//! regex source, or a message naming the unknown reference or the cycle.

use std::collections::BTreeMap;

/// Something a `{{NAME}}` can stand for.
pub trait Definitions {
    /// The raw (unexpanded) source of sub-pattern `name`.
    fn subpattern(&self, name: &str) -> Option<&str>;
    /// The alternation of lexicon `name`, restricted to `code` when given.
    /// `Err` with a message when the lexicon exists but the code does not.
    fn lexicon(&self, name: &str, code: Option<&str>) -> Option<Result<String, String>>;
}

/// Expands every reference in `pattern`.
pub fn expand(pattern: &str, defs: &dyn Definitions) -> Result<String, String> {
    expand_cached(pattern, defs, &mut BTreeMap::new())
}

/// Like [`expand`], reusing (and filling) `cache` of expanded references, so
/// a pack whose rules share large lexicon alternations builds each once.
pub fn expand_cached(
    pattern: &str,
    defs: &dyn Definitions,
    cache: &mut BTreeMap<String, String>,
) -> Result<String, String> {
    expand_inner(pattern, defs, &mut Vec::new(), cache)
}

fn expand_inner(
    pattern: &str,
    defs: &dyn Definitions,
    stack: &mut Vec<String>,
    cache: &mut BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| {
            "unclosed '{{' in pattern (write '\\{\\{' for literal braces)".to_string()
        })?;
        let reference = after[..close].trim();
        out.push_str(&resolve(reference, defs, stack, cache)?);
        if out.len() > MAX_EXPANDED {
            return Err(too_large());
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// An expanded pattern may not grow past this many bytes: sub-patterns that
/// each use the previous one twice double at every level (2^n bytes), and
/// would exhaust memory long before the regex size limit is checked.
pub const MAX_EXPANDED: usize = 32 << 20;

pub(crate) fn too_large() -> String {
    format!(
        "the expanded pattern is too large (over {MAX_EXPANDED} bytes after expanding sub-patterns); \
         check for sub-patterns that repeat one another, or use `each` with a lexicon"
    )
}

fn resolve(
    reference: &str,
    defs: &dyn Definitions,
    stack: &mut Vec<String>,
    cache: &mut BTreeMap<String, String>,
) -> Result<String, String> {
    if let Some(done) = cache.get(reference) {
        return Ok(done.clone());
    }
    let (name, code) = match reference.split_once('.') {
        Some((n, c)) => (n, Some(c)),
        None => (reference, None),
    };
    if !is_name(name) {
        return Err(format!("{{{{{reference}}}}} is not a valid sub-pattern reference (expected {{{{NAME}}}} or {{{{NAME.code}}}})"));
    }
    let expanded = if let Some(source) = defs.subpattern(name).filter(|_| code.is_none()) {
        if stack.iter().any(|s| s == name) {
            let mut cycle = stack.clone();
            cycle.push(name.to_string());
            return Err(format!("sub-pattern cycle: {}", cycle.join(" -> ")));
        }
        stack.push(name.to_string());
        let inner = expand_inner(source, defs, stack, cache);
        stack.pop();
        format!("(?:{})", inner?)
    } else if let Some(alternation) = defs.lexicon(name, code) {
        alternation?
    } else {
        return Err(format!(
            "unknown sub-pattern {{{{{reference}}}}}: define it under [patterns] or as a lexicon in pack.toml"
        ));
    };
    cache.insert(reference.to_string(), expanded.clone());
    Ok(expanded)
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The names referenced directly by `pattern` (for lints such as unused sub-patterns).
pub fn references(pattern: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let reference = after[..close].trim();
        names.push(reference.split('.').next().unwrap_or(reference));
        rest = &after[close + 2..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table(BTreeMap<&'static str, &'static str>);

    impl Definitions for Table {
        fn subpattern(&self, name: &str) -> Option<&str> {
            self.0.get(name).copied()
        }
        fn lexicon(&self, name: &str, code: Option<&str>) -> Option<Result<String, String>> {
            (name == "LEX").then(|| match code {
                None => Ok("(?i:a|b)".to_string()),
                Some("A") => Ok("(?i:a)".to_string()),
                Some(other) => Err(format!("no code {other}")),
            })
        }
    }

    fn table(pairs: &[(&'static str, &'static str)]) -> Table {
        Table(pairs.iter().copied().collect())
    }

    #[test]
    fn expands_nested_references() {
        let defs = table(&[("NUM", r"\d+"), ("AGE", r"{{NUM}}-year-old")]);
        assert_eq!(
            expand("a {{AGE}} {{LEX.A}}", &defs).unwrap(),
            r"a (?:(?:\d+)-year-old) (?i:a)"
        );
    }

    #[test]
    fn reports_unknown_names_and_cycles() {
        let defs = table(&[("A", "{{B}}"), ("B", "x{{A}}")]);
        assert!(expand("{{NOPE}}", &defs)
            .unwrap_err()
            .contains("unknown sub-pattern {{NOPE}}"));
        assert_eq!(
            expand("{{A}}", &defs).unwrap_err(),
            "sub-pattern cycle: A -> B -> A"
        );
        assert!(expand("{{LEX.Z}}", &defs)
            .unwrap_err()
            .contains("no code Z"));
        assert!(expand("{{A", &defs).unwrap_err().contains("unclosed"));
    }

    #[test]
    fn lists_direct_references() {
        assert_eq!(references("{{A}} x {{LEX.code}}"), ["A", "LEX"]);
    }
}
