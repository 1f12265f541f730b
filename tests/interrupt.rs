//! No data lost: a batch killed with SIGKILL at a random point leaves only
//! complete output files, and a resumed run (`--skip-existing`) produces the
//! same files, byte for byte, as an uninterrupted run.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Copies of every seed article: enough work for the run to take a while.
const COPIES: usize = 12;

fn corpus(dir: &Path) -> usize {
    let mut n = 0;
    for k in 0..COPIES {
        let sub = dir.join(format!("in/batch-{:02}", k % 10));
        fs::create_dir_all(&sub).unwrap();
        for seed in common::seed_paths() {
            let name = seed.file_stem().unwrap().to_string_lossy();
            fs::copy(&seed, sub.join(format!("{name}-{k:03}.txt"))).unwrap();
            n += 1;
        }
    }
    n
}

fn extract(dir: &Path, out: &str, resume: bool) -> Command {
    let mut cmd = common::docket();
    cmd.args(["extract", "-q", "--jobs", "2", "--out-dir", out])
        .args(resume.then_some("--skip-existing"))
        .arg("in")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Every file under `dir` by relative path. Hidden files (".docket-*.tmp",
/// temporary files a kill may leave behind) are listed separately.
fn files(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    fn walk(
        root: &Path,
        dir: &Path,
        out: &mut BTreeMap<String, Vec<u8>>,
        hidden: &mut Vec<String>,
    ) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            if path.file_name().unwrap().to_string_lossy().starts_with('.') {
                hidden.push(relative);
            } else if path.is_dir() {
                walk(root, &path, out, hidden);
            } else {
                out.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    let mut hidden = Vec::new();
    walk(dir, dir, &mut out, &mut hidden);
    (out, hidden)
}

/// True once any output file exists under `dir` (cheap: reads no file).
fn any_output(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            any_output(&path)
        } else {
            !e.file_name().to_string_lossy().starts_with('.')
        }
    })
}

/// A pseudo-random number below `n`, from the clock (no extra dependency).
fn random_below(n: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut x = nanos ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % n.max(1)
}

#[test]
fn a_killed_batch_leaves_complete_files_and_resumes_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let total = corpus(dir.path());

    let started = Instant::now();
    let clean = extract(dir.path(), "clean", false).output().unwrap();
    let clean_time = started.elapsed();
    common::assert_success(&clean);
    let (expected, hidden) = files(&dir.path().join("clean"));
    assert_eq!(expected.len(), total);
    assert!(hidden.is_empty(), "{hidden:?}");

    // Kill after the first output appears, at a random point within the
    // expected run time, and check what was left; up to three tries to catch
    // the run in the middle (a kill after the end proves nothing).
    let out = dir.path().join("out");
    let mut interrupted = false;
    for attempt in 0..3 {
        let _ = fs::remove_dir_all(&out);
        let mut child = extract(dir.path(), "out", false).spawn().unwrap();
        let deadline = Instant::now() + clean_time * 4 + Duration::from_secs(10);
        while !any_output(&out) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let budget = (clean_time.as_millis() as u64 * 2 / 3).max(1);
        let delay = random_below(budget) / (attempt + 1);
        std::thread::sleep(Duration::from_millis(delay));
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let (left, hidden) = files(&out);
        eprintln!(
            "attempt {attempt}: killed after {delay} ms (run {}), {} of {total} files written, {} temporary files left",
            if running { "in progress" } else { "already over" },
            left.len(),
            hidden.len()
        );
        for (path, bytes) in &left {
            assert!(path.ends_with(".json"), "unexpected file {path}");
            serde_json::from_slice::<serde_json::Value>(bytes)
                .unwrap_or_else(|e| panic!("{path} is not complete JSON: {e}"));
            assert_eq!(
                Some(bytes),
                expected.get(path),
                "{path} differs from the clean run"
            );
        }
        for path in &hidden {
            assert!(
                path.contains(".docket-") && path.ends_with(".tmp"),
                "unexpected hidden file {path}"
            );
        }
        if running && left.len() < total {
            interrupted = true;
            break;
        }
    }
    assert!(interrupted, "never caught the batch in the middle");

    let resumed = extract(dir.path(), "out", true).output().unwrap();
    common::assert_success(&resumed);
    let (after, _) = files(&out);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the resumed run has a different file set"
    );
    for (path, bytes) in &expected {
        assert!(after[path] == *bytes, "{path} differs after resuming");
    }
}
