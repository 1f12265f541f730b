//! Error types, one per boundary: [`RuleError`] for loading a rule pack and
//! [`SourceError`] for reading an input article.

use std::fmt;
use std::path::PathBuf;

/// Where in a rule file something is wrong: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The rule file, as given to the loader (relative to the pack when embedded).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text`, a file called `file`.
    pub fn at(file: &str, text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

/// Byte offsets where each line of a text starts, for locating many offsets
/// in one file without rescanning it from the top each time.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The location of byte `offset` in `text` (the text this index was built from).
    pub fn locate(&self, file: &str, text: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        let column = text[line_start..offset].chars().count() + 1;
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem found while loading or checking a rule pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Where it is.
    pub location: Location,
    /// What is wrong, and where useful what to do about it.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A rule pack that cannot be used: every problem found, each located.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuleError {
    /// The pack folder or one of its files could not be read.
    #[error("cannot read rule pack file {path}: {message}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// One or more located problems in the rule files.
    #[error("{}", render_problems(.0))]
    Invalid(Vec<RuleProblem>),
}

fn render_problems(problems: &[RuleProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

impl RuleError {
    /// The located problems (empty for I/O errors).
    pub fn problems(&self) -> &[RuleProblem] {
        match self {
            RuleError::Io { .. } => &[],
            RuleError::Invalid(p) => p,
        }
    }
}

/// An input article that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The input path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than the configured limit.
    #[error(
        "{path}: {bytes} bytes is over the limit of {limit} bytes (raise it with --max-bytes)"
    )]
    TooLarge {
        /// The input path.
        path: String,
        /// Its size.
        bytes: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The input is not in the declared format.
    #[error("{path}: {message}")]
    Format {
        /// The input path (with `:line` for line-based formats).
        path: String,
        /// What is wrong.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let text = "a = 1\nbé = 'x'\n";
        let loc = Location::at("f.toml", text, text.find("'x'").unwrap());
        assert_eq!(loc.to_string(), "f.toml:2:6");
    }

    #[test]
    fn line_index_agrees_with_a_scan_from_the_top() {
        let text = "a\nbé\n\nxyz";
        let index = LineIndex::new(text);
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            assert_eq!(
                index.locate("f", text, offset),
                Location::at("f", text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn location_of_offset_past_end_is_clamped() {
        let loc = Location::at("f", "ab", 10);
        assert_eq!((loc.line, loc.column), (1, 3));
    }
}
