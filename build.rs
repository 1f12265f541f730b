//! Embeds the default rule pack: lists every file under `rules/` as
//! `include_str!` entries, so the binary works from any directory and a
//! changed rule file rebuilds the crate.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    // Read when the script runs, not when it compiles: cargo may run one
    // compiled script for two checkouts of the crate that share a target
    // folder (CARGO_TARGET_DIR), and the path compiled in would then embed
    // the other checkout's rules.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for path in files {
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        out.push_str(&format!(
            "    ({relative:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_rules.rs");
    fs::write(dest, out).unwrap();
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, files);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml" | "tsv")
        ) {
            println!("cargo:rerun-if-changed={}", path.display());
            files.push(path);
        }
    }
}
