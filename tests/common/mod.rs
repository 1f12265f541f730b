//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use docket::{Document, Extractor};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The embedded default extractor.
pub fn extractor() -> Extractor {
    Extractor::embedded().expect("the default pack loads")
}

/// A seed file as a document whose path is relative (no machine-specific values).
pub fn seed_document(path: &Path) -> Document {
    let raw = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let id = path.file_stem().unwrap().to_string_lossy();
    Document::from_bytes(&id, &format!("seeds/{name}"), &raw)
}

/// Every seed article, sorted.
pub fn seed_paths() -> Vec<PathBuf> {
    txt_files(&root().join("seeds"))
}

/// The `.txt` files directly in `dir`, sorted.
/// The text of every seed article and, when `../shared` is beside the
/// checkout, of every development article (said loudly when it is not).
pub fn seed_and_dev_texts() -> Vec<String> {
    let mut texts: Vec<String> = seed_paths()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let dev = root().join("../shared/corpus/dev");
    if dev.is_dir() {
        let paths = txt_files(&dev);
        texts.extend(paths.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    } else {
        eprintln!("SKIPPED: ../shared/corpus/dev is absent; comparing on the seeds only");
    }
    texts
}

pub fn txt_files(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
}

/// The docket binary built for these tests.
pub fn docket() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_docket"))
}

/// Runs docket with `args` in `dir`.
pub fn run(args: &[&str], dir: &Path) -> Output {
    docket().args(args).current_dir(dir).output().unwrap()
}

/// A run's standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails, showing standard error, unless the run exited 0.
pub fn assert_success(out: &Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

/// Runs `f` on another thread and fails if it takes longer than `limit`
/// (a hang is a failure, not a stuck CI job).
pub fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let out = f();
        let _ = tx.send((out, started.elapsed()));
    });
    match rx.recv_timeout(limit) {
        Ok(done) => done,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no result within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}
