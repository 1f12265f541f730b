//! The default rule pack, compiled into the binary by `build.rs` from the
//! files under `rules/`.

use super::PackFiles;

const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The embedded pack's files. Messages name them `rules/<path>`.
pub fn files() -> PackFiles {
    PackFiles {
        files: FILES
            .iter()
            .map(|(path, text)| (path.to_string(), text.to_string()))
            .collect(),
        root: "rules".to_string(),
    }
}
