//! The command line as a user runs it.

mod common;

use std::fs;

#[test]
fn extract_seed_prints_pretty_json_with_four_subjects() {
    let out = common::docket()
        .args(["extract", "seeds/ice-declined-detainer-report.txt"])
        .current_dir(common::root())
        .output()
        .unwrap();
    common::assert_success(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("{\n  \"id\": \"ice-declined-detainer-report\""),
        "{}",
        &text[..80]
    );
    let record: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(record["subjects"].as_array().unwrap().len(), 4);
}

#[test]
fn broken_rule_pack_exits_2_with_file_line_col_and_emits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pack.toml"), "[pack]\nname = \"t\"\n").unwrap();
    fs::write(
        dir.path().join("age.toml"),
        "[[rule]]\nid = \"a\"\nfield = \"age\"\npattern = '(\\d+'\n",
    )
    .unwrap();
    let out = common::docket()
        .args(["extract", "--rules"])
        .arg(dir.path())
        .arg(common::root().join("seeds/ice-declined-detainer-report.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}/age.toml:4:11: rule a: invalid regex",
        dir.path().display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn works_from_any_directory_with_the_embedded_pack() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::docket()
        .arg("extract")
        .arg(common::root().join("seeds/constructed-negative.txt"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    common::assert_success(&out);
}

#[test]
fn check_profile_prints_every_rule_cost_and_fails_on_an_unreadable_input() {
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let out = common::docket()
        .args(["check", "--no-warnings", "--profile", seeds])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("search ms"), "{table}");
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("charge.after-trigger "))
        .collect();
    assert_eq!(rows.len(), 1, "{table}");
    // Every match starts at a trigger word: one anchored search at each.
    assert!(rows[0].ends_with("  at hits"), "{table}");
    assert!(table.contains("13 articles"), "{table}");

    let out = common::docket()
        .args(["check", "--no-warnings", "--profile", "/no/such/folder"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/folder"));
}

#[test]
fn check_passes_on_the_default_pack() {
    let out = common::docket().arg("check").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
