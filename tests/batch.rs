//! Batch conversion as users run it: folders with bad files, JSONL streams
//! with a broken line, non-UTF-8 input, HTML, globs, stdin, CSV, parallel
//! determinism, output folders and resuming.

mod common;

use common::{run, stderr};

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ARTICLE: &str =
    "Title\n\nA 30-year-old Mexican national was arrested for DUI three different times.\n";

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("in/sub")).unwrap();
    fs::write(dir.path().join("in/a.txt"), ARTICLE).unwrap();
    fs::write(
        dir.path().join("in/sub/b.md"),
        "A **Honduran** man, 41, was [charged](https://x.org/y) with burglary.\n",
    )
    .unwrap();
    fs::write(dir.path().join("in/.hidden.txt"), ARTICLE).unwrap();
    fs::write(dir.path().join("in/notes.json"), "{}").unwrap();
    dir
}

#[test]
fn folder_is_recursive_sorted_and_skips_hidden_and_unknown_files() {
    let dir = corpus();
    let out = run(&["extract", "in"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = lines(&out)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(
        stderr(&out).contains("2 articles, 2 subjects, 0 warnings, 0 errors"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_file_fails_alone_with_exit_1() {
    let dir = corpus();
    fs::write(dir.path().join("in/big.txt"), "x".repeat(2000)).unwrap();
    let out = run(
        &[
            "extract",
            "--max-bytes",
            "1000",
            "--errors",
            "errors.jsonl",
            "in",
            "missing.txt",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out).len(), 2, "the good files are still extracted");
    let err = stderr(&out);
    assert!(
        err.contains("docket: error: in/big.txt: 2000 bytes is over the limit of 1000 bytes"),
        "{err}"
    );
    assert!(
        err.contains("docket: error: missing.txt: no such file or folder"),
        "{err}"
    );
    let log = fs::read_to_string(dir.path().join("errors.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(log.contains("\"severity\":\"error\""));
}

#[test]
fn truncated_jsonl_line_is_reported_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::json!({"id": "x1", "text": ARTICLE}).to_string();
    fs::write(
        dir.path().join("in.jsonl"),
        format!("{good}\n{{\"id\": \"x2\", \"text\": \"A 2\n{good}\n"),
    )
    .unwrap();
    let out = run(&["extract", "in.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out).len(), 2);
    assert!(
        stderr(&out).contains("docket: error: in.jsonl:2: not a JSONL article"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invalid_utf8_is_decoded_lossily_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.txt"),
        b"A 30-year-old Mexican \xff\xfe national was arrested for DUI.\n",
    )
    .unwrap();
    let out = run(&["extract", "bad.txt"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: bad.txt: 2 invalid UTF-8 sequence(s) replaced"),
        "{}",
        stderr(&out)
    );
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["subjects"][0]["age"], 30);
}

#[test]
fn html_article_uses_visible_text_and_title() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<html><head><title>Arrest</title><script>var t = 'a 99-year-old';</script></head>\
        <body><p>A 30-year-old Mexican national was arrested for DUI.</p></body></html>";
    fs::write(dir.path().join("a.html"), html).unwrap();
    let out = run(&["extract", "--emit-text", "a.html"], dir.path());
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["article"]["title"], "Arrest");
    assert_eq!(
        record["text"],
        "A 30-year-old Mexican national was arrested for DUI."
    );
    assert_eq!(record["subjects"].as_array().unwrap().len(), 1);
    let m = &record["mentions"][0];
    let text = record["text"].as_str().unwrap();
    assert_eq!(
        &text[m["start"].as_u64().unwrap() as usize..m["end"].as_u64().unwrap() as usize],
        m["text"]
    );
}

#[test]
fn glob_and_stdin_inputs() {
    let dir = corpus();
    let out = run(&["extract", "--format", "jsonl", "in/*.txt"], dir.path());
    assert_eq!(lines(&out).len(), 1);
    let mut child = common::docket()
        .args(["extract", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = serde_json::json!({"id": "s1", "text": ARTICLE}).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["id"], "s1");
}

#[test]
fn csv_has_a_header_and_one_row_per_subject() {
    let dir = corpus();
    let out = run(&["extract", "--format", "csv", "in"], dir.path());
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        docket::batch::CSV_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "a");
    assert_eq!(&rows[0][8], "90D:prior");
}

#[test]
fn output_is_byte_identical_for_any_number_of_jobs() {
    let seeds = common::root().join("seeds");
    let seeds = seeds.to_str().unwrap();
    let one = run(&["extract", "-q", "--jobs", "1", seeds], Path::new("."));
    let two = run(&["extract", "-q", "--jobs", "2", seeds], Path::new("."));
    let four = run(&["extract", "-q", "--jobs", "4", seeds], Path::new("."));
    assert!(one.status.success());
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn out_dir_mirrors_the_tree_and_skip_existing_resumes() {
    let dir = corpus();
    let out = run(&["extract", "--out-dir", "out", "in"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let a = fs::read_to_string(dir.path().join("out/a.json")).unwrap();
    assert!(dir.path().join("out/sub/b.json").exists());
    // An interrupted run: one output missing, one stale temporary file left behind.
    fs::remove_file(dir.path().join("out/sub/b.json")).unwrap();
    fs::write(dir.path().join("out/.docket-stale.tmp"), "partial").unwrap();
    let out = run(
        &["extract", "--out-dir", "out", "--skip-existing", "in"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 articles") && stderr(&out).contains("1 skipped"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("out/a.json")).unwrap(),
        a
    );
    assert!(dir.path().join("out/sub/b.json").exists());
    assert!(
        !dir.path().join("out/.docket-stale.tmp").exists(),
        "the resumed run removes stale temporaries"
    );
}

#[test]
fn output_file_is_written_whole() {
    let dir = corpus();
    let out = run(&["extract", "-o", "all.jsonl", "in"], dir.path());
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        fs::read_to_string(dir.path().join("all.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".docket-")
        })
        .collect();
    assert!(leftovers.is_empty());
}

/// `-o` onto a named pipe (or `/dev/null`) writes into it: a temporary file
/// renamed onto it would replace it with a regular file.
#[cfg(unix)]
#[test]
fn output_onto_a_named_pipe_writes_into_it_and_leaves_it_a_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let dir = corpus();
    let pipe = dir.path().join("records.pipe");
    let made = Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: mkfifo is not available to make a named pipe");
        return;
    }
    // A reader blocks until a writer opens the pipe: were the pipe replaced,
    // it would wait forever, so it is waited for a bounded time.
    let (sent, received) = std::sync::mpsc::channel();
    let reading = pipe.clone();
    std::thread::spawn(move || sent.send(fs::read_to_string(reading).unwrap()));
    let out = run(&["extract", "-q", "-o", "records.pipe", "in"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let read = received
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the records came through the pipe");
    assert_eq!(
        read.lines().count(),
        2,
        "both records came through the pipe"
    );
    assert!(fs::metadata(&pipe).unwrap().file_type().is_fifo());
}

#[test]
fn sharded_runs_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = common::seed_paths();
    let all: Vec<String> = seeds
        .iter()
        .map(|p| serde_json::json!({"id": p.file_stem().unwrap().to_str(), "text": fs::read_to_string(p).unwrap()}).to_string())
        .collect();
    fs::write(dir.path().join("all.jsonl"), all.join("\n") + "\n").unwrap();
    let single = run(&["extract", "-q", "all.jsonl"], dir.path());
    let mut merged = Vec::new();
    for (k, shard) in all.chunks(5).enumerate() {
        let name = format!("shard-{k}.jsonl");
        fs::write(dir.path().join(&name), shard.join("\n") + "\n").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_docket"))
            .args(["extract", "-q", "--input-format", "jsonl", "-"])
            .current_dir(dir.path())
            .stdin(fs::File::open(dir.path().join(&name)).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success());
        merged.extend(out.stdout);
    }
    let normalize = |bytes: &[u8]| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["source"]["path"] = serde_json::Value::Null;
                v
            })
            .collect()
    };
    assert_eq!(normalize(&merged), normalize(&single.stdout));
    assert_eq!(normalize(&merged).len(), seeds.len());
}
