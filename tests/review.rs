//! The review commands as a rule author runs them: check, explain, diff, report.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use scraper::{Html, Selector};
use serde_json::Value;

const MANIFEST: &str = r#"[pack]
name = "tiny"
version = "1"

[lexicons.OFFENCE]
file = "offences.tsv"
plurals = true
"#;

const RULES: &str = r#"[[rule]]
id = "age.year-old"
field = "age"
pattern = '\b(?P<value>\d{1,3})-year-old\b'
normalize = "number"
examples = [{ text = "a 30-year-old man", value = 30 }]

[[rule]]
id = "charge.arrested-for"
field = "charge"
pattern = '(?i)\barrested\sfor\s(?P<value>[^.]+)'
each = "OFFENCE"
normalize = "lexicon:OFFENCE"
examples = [
  { text = "He was arrested for burglary.", value = "220" },
]
"#;

const ARTICLE: &str = "A 30-year-old man was arrested for burglary and arson.\n";

/// A rule pack in a temporary folder: the tiny manifest and rules, with
/// `offences` as the lexicon and `extra` appended to the rule file.
fn pack(offences: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pack.toml"), MANIFEST).unwrap();
    fs::write(dir.path().join("rules.toml"), format!("{RULES}{extra}")).unwrap();
    fs::write(dir.path().join("offences.tsv"), offences).unwrap();
    dir
}

fn run(args: &[&str], paths: &[&Path]) -> Output {
    let mut cmd = common::docket();
    cmd.args(args).args(paths).current_dir(common::root());
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `file:line:col` of the first occurrence of `needle` in a pack file.
fn location(dir: &Path, file: &str, needle: &str) -> String {
    let text = fs::read_to_string(dir.join(file)).unwrap();
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let column = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{}/{file}:{line}:{column}", dir.display())
}

#[test]
fn check_reports_a_failing_example_like_a_compiler_and_exits_1() {
    let failing = "\n[[rule]]\nid = \"charge.dui\"\nfield = \"charge\"\npattern = '(?i)\\bdriving\\sdrunk\\b'\nnormalize = \"const\"\nvalue = \"90D\"\nexamples = [\n  { text = \"He was arrested for DUI.\", value = \"90D\" },\n]\n";
    let dir = pack("220\tburglary\n", failing);
    let out = run(&["check", "--rules"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let expected = format!(
        "{}: rule charge.dui: example \"He was arrested for DUI.\" expected 90D, got nothing",
        location(
            dir.path(),
            "rules.toml",
            "{ text = \"He was arrested for DUI.\""
        )
    );
    assert!(
        stdout(&out).lines().any(|l| l == expected),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_lints_unused_patterns_empty_matches_conflicts_and_shadowed_phrases() {
    let extra = r#"
[patterns]
UNUSED = 'never used'

[[rule]]
id = "age.digits"
field = "age"
pattern = '(?P<value>\d*)'
normalize = "number"

[[rule]]
id = "charge.offender"
field = "charge"
pattern = '(?i)\bconvicted\s(?P<value>{{OFFENDER}})'
normalize = "lexicon:OFFENDER"
"#;
    let dir = pack("220\tburglary\n23H\ttheft\n240\tvehicle theft\n", extra);
    let manifest = format!("{MANIFEST}\n[lexicons.OFFENDER]\nfile = \"offenders.tsv\"\n");
    fs::write(dir.path().join("pack.toml"), manifest).unwrap();
    fs::write(dir.path().join("offenders.tsv"), "11A\tburglary\n").unwrap();
    let out = run(&["check", "--verbose", "--rules"], &[dir.path()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let has = |prefix: String, words: &str| {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&prefix) && l.contains(words)),
            "no line {prefix}...{words} in\n{text}"
        );
    };
    has(
        location(dir.path(), "rules.toml", "'never used'") + ": warning: ",
        "sub-pattern UNUSED is not used",
    );
    has(
        location(dir.path(), "rules.toml", "\"age.digits\"") + ": ",
        "rule age.digits: the pattern can match the empty string",
    );
    has(
        location(dir.path(), "offenders.tsv", "burglary") + ": ",
        "mapped to 11A here but to 220 in lexicon OFFENCE",
    );
    has(
        location(dir.path(), "offences.tsv", "theft\n") + ": warning: ",
        "\"theft\" (23H) is shadowed by \"vehicle theft\" (240)",
    );
}

#[test]
fn check_exits_0_on_warnings_unless_they_are_denied() {
    let dir = pack(
        "23H\ttheft\n240\tvehicle theft\n220\tburglary\n",
        "\n[patterns]\nUNUSED = 'x'\n",
    );
    let out = run(&["check", "--rules"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(": warning: "));
    let denied = run(&["check", "--deny-warnings", "--rules"], &[dir.path()]);
    assert_eq!(denied.status.code(), Some(1));
    let quiet = run(&["check", "--no-warnings", "--rules"], &[dir.path()]);
    assert_eq!(stdout(&quiet), "");
}

#[test]
fn check_reports_duplicate_ids_and_two_codes_for_a_phrase_from_the_loader() {
    let duplicate = "\n[[rule]]\nid = \"age.year-old\"\nfield = \"age\"\npattern = 'x'\n";
    let dir = pack("220\tburglary\n200\tarson\tburglary\n", duplicate);
    let out = run(&["check", "--rules"], &[dir.path()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let duplicate_at = location(
        dir.path(),
        "rules.toml",
        "\"age.year-old\"\nfield = \"age\"\npattern = 'x'",
    );
    let expected = format!("{duplicate_at}: duplicate rule id \"age.year-old\" (first defined at ");
    assert!(text.contains(&expected), "{text}");
    assert!(text.contains(&format!(
        "{}/offences.tsv:2:11: phrase \"burglary\" is already mapped to 220",
        dir.path().display()
    )));
}

#[test]
fn check_passes_on_the_default_pack() {
    let out = run(&["check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

fn seed(name: &str) -> PathBuf {
    common::root().join("seeds").join(name)
}

#[test]
fn explain_brackets_every_mention_when_piped_and_colours_on_request() {
    let dir = pack("220\tburglary\n200\tarson\n", "");
    let article = dir.path().join("a.txt");
    fs::write(&article, ARTICLE).unwrap();
    let out = run(&["explain", "--rules"], &[dir.path(), &article]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.starts_with("A [30]{age=30 [age.year-old] -> s1}-year-old man was arrested for [burglary]{charge=220 [charge.arrested-for] -> s1} and [arson]{charge=200 [charge.arrested-for] -> s1}."),
        "{text}"
    );
    assert!(
        text.contains("subject  name  age  sex  nationality"),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
    let coloured = run(
        &["explain", "--color", "always", "--rules"],
        &[dir.path(), &article],
    );
    assert!(stdout(&coloured).contains("\x1b[1;4;33m30\x1b[0m"));
}

#[test]
fn explain_json_traces_every_field_and_every_left_mention() {
    let path = seed("constructed-several-people.txt");
    let out = run(&["explain", "--json"], &[&path]);
    assert!(out.status.success());
    let trace: Value = serde_json::from_slice(&out.stdout).unwrap();
    let record: Value = serde_json::from_slice(&run(&["extract"], &[&path]).stdout).unwrap();
    let subjects = trace["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), record["subjects"].as_array().unwrap().len());
    let mut seen = Vec::new();
    for s in subjects {
        for f in s["fields"].as_array().unwrap() {
            let ids: Vec<&str> = f["mentions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap())
                .collect();
            assert!(ids.contains(&f["set_by"].as_str().unwrap()), "{f}");
            assert!(f["mentions"][0]["rule"].is_string());
            seen.extend(ids.iter().map(|s| s.to_string()));
        }
        seen.extend(ids_of(&s["pointers"]));
    }
    for m in trace["unattached"].as_array().unwrap() {
        assert!(!m["reason"].as_str().unwrap().is_empty());
    }
    let reasons: Vec<&str> = trace["unattached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"no subject open"), "{reasons:?}");
    for list in ["unattached", "cues", "facts"] {
        seen.extend(ids_of(&trace[list]));
    }
    // Every mention is accounted for, under a stable id; a mention said of a
    // group ("both citizens of Honduras") is a value of each member.
    let all: std::collections::BTreeSet<String> = record["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}@{}..{}",
                m["field"].as_str().unwrap(),
                m["start"],
                m["end"]
            )
        })
        .collect();
    assert_eq!(
        seen.into_iter().collect::<std::collections::BTreeSet<_>>(),
        all
    );
}

#[test]
fn explain_json_says_which_mention_overrode_another() {
    let sex = "\n[[rule]]\nid = \"sex.man\"\nfield = \"sex\"\npattern = '\\bman\\b'\nnormalize = \"const\"\nvalue = \"male\"\npriority = 2\n\n[[rule]]\nid = \"sex.she\"\nfield = \"sex\"\npattern = '\\bShe\\b'\nnormalize = \"const\"\nvalue = \"female\"\n";
    let dir = pack("220\tburglary\n", sex);
    let article = dir.path().join("a.txt");
    fs::write(
        &article,
        "A 30-year-old man was arrested for burglary. She said so.\n",
    )
    .unwrap();
    let out = run(&["explain", "--json", "--rules"], &[dir.path(), &article]);
    let trace: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        trace["unattached"][0],
        serde_json::json!({
            "id": "sex@45..48", "field": "sex", "value": "female", "text": "She",
            "rule": "sex.she", "reason": "overridden by sex@14..17 (sex=male [sex.man]) in s1"
        })
    );
    let sex_field = &trace["subjects"][0]["fields"][1];
    assert_eq!(
        (sex_field["field"].as_str(), sex_field["set_by"].as_str()),
        (Some("sex"), Some("sex@14..17"))
    );
}

fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// Two packs that differ by one lexicon phrase, and a folder of articles.
fn two_packs() -> (tempfile::TempDir, tempfile::TempDir, tempfile::TempDir) {
    let old = pack("220\tburglary\n", "");
    let new = pack("220\tburglary\n200\tarson\n", "");
    let articles = tempfile::tempdir().unwrap();
    fs::write(articles.path().join("a.txt"), ARTICLE).unwrap();
    fs::write(articles.path().join("b.txt"), "Nothing to see here.\n").unwrap();
    (old, new, articles)
}

#[test]
fn diff_between_two_packs_that_differ_by_one_phrase_is_one_line() {
    let (old, new, articles) = two_packs();
    let out = run(
        &[
            "diff",
            "--rules",
            &old.path().display().to_string(),
            "--rules",
        ],
        &[new.path(), articles.path()],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("a\n  ~ s1: charges +200/prior\n\n"),
        "{text}"
    );
    assert!(
        text.contains("\ncharges           1        0        0\n"),
        "{text}"
    );
    assert!(text.ends_with("1 of 2 articles differ\n"), "{text}");
    let json = run(
        &[
            "diff",
            "--format",
            "json",
            "--rules",
            &old.path().display().to_string(),
            "--rules",
        ],
        &[new.path(), articles.path()],
    );
    let diff: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(diff["differing"][0]["subjects"][0]["change"], "changed");
    assert_eq!(
        diff["differing"][0]["subjects"][0]["fields"][0],
        serde_json::json!({"field": "charges", "old": null, "new": "200/prior"})
    );
    let same = run(
        &["diff", "--rules"],
        &[
            old.path(),
            Path::new("--rules"),
            old.path(),
            articles.path(),
        ],
    );
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
}

#[test]
fn diff_of_two_record_files_pairs_subjects_like_the_scorer() {
    let (old, new, articles) = two_packs();
    let runs = tempfile::tempdir().unwrap();
    let records = |pack: &Path, name: &str| {
        let path = runs.path().join(name);
        let out = run(
            &["extract", "--format", "jsonl", "--rules"],
            &[pack, articles.path()],
        );
        assert!(out.status.success());
        fs::write(&path, &out.stdout).unwrap();
        path
    };
    let (a, b) = (
        records(old.path(), "old.jsonl"),
        records(new.path(), "new.jsonl"),
    );
    let out = run(&["diff"], &[&a, &b]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("a\n  ~ s1: charges +200/prior\n"));
    let same = run(&["diff"], &[&a, &a]);
    assert_eq!(same.status.code(), Some(0));
    assert!(stdout(&same).ends_with("0 of 2 articles differ\n"));
    let usage = run(&["diff"], &[&a]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn report_writes_self_contained_pages_with_linked_highlights() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(
        &["report", "-o", &out_dir.path().display().to_string()],
        &[&common::root().join("seeds")],
    );
    common::assert_success(&out);
    let index = read_html(&out_dir.path().join("index.html"));
    let links: Vec<String> = select(&index, "tbody a")
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links.len(), common::seed_paths().len());
    for link in &links {
        let page = fs::read_to_string(out_dir.path().join(link)).unwrap();
        assert_self_contained(&page);
        check_article_page(&Html::parse_document(&page));
    }
    let page = read_html(&out_dir.path().join("constructed-several-people.html"));
    let tips: Vec<String> = select(&page, "mark .tip").map(|t| text_of(&t)).collect();
    assert!(
        tips.iter()
            .any(|t| t.starts_with("charge = 120 [charge.after-trigger] → s")),
        "{tips:?}"
    );
}

fn read_html(path: &Path) -> Html {
    let text = fs::read_to_string(path).unwrap();
    assert_self_contained(&text);
    Html::parse_document(&text)
}

fn select<'a>(html: &'a Html, css: &str) -> std::vec::IntoIter<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap();
    html.select(&selector).collect::<Vec<_>>().into_iter()
}

fn text_of(element: &scraper::ElementRef) -> String {
    element.text().collect()
}

/// No script, no external resource: the page works offline.
fn assert_self_contained(page: &str) {
    let lower = page.to_lowercase();
    // Article text may quote web addresses; only markup that fetches counts.
    for banned in [
        "<script",
        "<link",
        " src=",
        "@import",
        "url(",
        "href=\"http",
    ] {
        assert!(!lower.contains(banned), "{banned} in page");
    }
}

/// Every highlight is focusable and labelled with field, value and rule;
/// every table link points at a highlight on the page.
fn check_article_page(page: &Html) {
    let ids: Vec<String> = select(page, "[id]")
        .map(|e| e.value().attr("id").unwrap().to_string())
        .collect();
    for mark in select(page, "mark.m") {
        assert_eq!(mark.value().attr("tabindex"), Some("0"));
        let tip_id = mark.value().attr("aria-describedby").unwrap();
        assert!(ids.iter().any(|i| i == tip_id));
        let rows: Vec<_> = mark
            .select(&Selector::parse(".tip .row").unwrap())
            .collect();
        assert!(!rows.is_empty());
        for row in rows {
            let text = text_of(&row);
            assert!(
                text.contains(" = ") && text.contains(" [") && text.contains("] → "),
                "{text}"
            );
        }
    }
    for link in select(page, "table a") {
        let target = link.value().attr("href").unwrap().trim_start_matches('#');
        let mark = select(page, &format!("mark#{target}")).next();
        assert!(mark.is_some(), "link to #{target} has no highlight");
    }
}
