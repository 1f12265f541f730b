//! Hostile rule packs: every one loads or is refused with a clear, located
//! error, in bounded time, never a panic.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use docket::{Document, Extractor, Pack, RuleError};

const MANIFEST: &str = "[pack]\nname = \"hostile\"\nversion = \"0.1.0\"\n";

const AGE_RULE: &str = r#"
[[rule]]
id = "age.year-old"
field = "age"
pattern = '(?P<value>\d{1,3})-year-old'
normalize = "number"
examples = [{ text = "a 25-year-old", value = 25 }]
"#;

/// A pack folder with these files (path relative to the pack, contents).
fn pack(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    dir
}

/// Runs `f` on another thread and fails if it takes longer than `secs`
/// (release) or 10x that (debug).
fn within<T: Send + 'static>(
    what: &str,
    secs: u64,
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    let limit = Duration::from_secs(if cfg!(debug_assertions) {
        secs * 10
    } else {
        secs
    });
    common::within(what, limit, f)
}

/// Loads the pack in `dir` (examples run, as `--rules` does) within the deadline.
fn load(what: &str, dir: &Path, secs: u64) -> (Result<Extractor, RuleError>, Duration) {
    let dir = dir.to_path_buf();
    within(what, secs, move || Extractor::from_dir(&dir))
}

/// The error of a pack that must not load, as the CLI prints it.
fn refused(what: &str, dir: &Path, secs: u64) -> String {
    match load(what, dir, secs).0 {
        Ok(_) => panic!("{what}: the pack loaded"),
        Err(e) => e.to_string(),
    }
}

/// `docket check --rules DIR` refuses the pack with exit 2 and says why.
fn cli_refuses(dir: &Path, expected: &str) {
    let out = common::docket()
        .args(["check", "--rules"])
        .arg(dir)
        .output()
        .unwrap();
    // Problems may go to stdout (as `check` reports them) or stderr.
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(expected), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_regex_over_the_size_limit_is_reported_as_such() {
    let rule = r#"
[[rule]]
id = "age.huge"
field = "age"
pattern = '(?P<value>(?:\w{200}){200}\d+)'
normalize = "number"
examples = [{ text = "x", value = 1 }]
"#;
    let dir = pack(&[
        ("pack.toml", MANIFEST.as_bytes()),
        ("rules.toml", rule.as_bytes()),
    ]);
    let err = refused("regex too large", dir.path(), 20);
    assert!(
        err.contains("rules.toml:5:11: rule age.huge: the expanded pattern is too large for the regex engine"),
        "{err}"
    );
    cli_refuses(dir.path(), "too large for the regex engine");
}

#[test]
fn sub_pattern_cycles_are_named() {
    let manifest = format!("{MANIFEST}\n[patterns]\nA = 'a{{{{B}}}}'\nB = 'b{{{{C}}}}'\nC = '{{{{A}}}}'\nSELF = 'x{{{{SELF}}}}'\n");
    let rules = r#"
[[rule]]
id = "age.cycle"
field = "age"
pattern = '{{A}}'
examples = [{ text = "x", value = 1 }]

[[rule]]
id = "age.self"
field = "age"
pattern = '{{SELF}}'
examples = [{ text = "x", value = 1 }]
"#;
    let dir = pack(&[
        ("pack.toml", manifest.as_bytes()),
        ("rules.toml", rules.as_bytes()),
    ]);
    let err = refused("cycles", dir.path(), 10);
    assert!(
        err.contains("rules.toml:5:11: rule age.cycle: sub-pattern cycle: A -> B -> C -> A"),
        "{err}"
    );
    assert!(
        err.contains("rules.toml:11:11: rule age.self: sub-pattern cycle: SELF -> SELF"),
        "{err}"
    );
    cli_refuses(dir.path(), "sub-pattern cycle");
}

/// Sub-patterns that each use the previous one twice expand to 2^n bytes:
/// refused with a clear error, not memory exhaustion.
#[test]
fn exponential_sub_pattern_expansion_is_refused() {
    let mut manifest = format!("{MANIFEST}\n[patterns]\nP0 = 'ab'\n");
    for k in 1..=48 {
        manifest.push_str(&format!("P{k} = '{{{{P{}}}}}{{{{P{}}}}}'\n", k - 1, k - 1));
    }
    let rules = r#"
[[rule]]
id = "age.bomb"
field = "age"
pattern = '{{P48}}'
examples = [{ text = "x", value = 1 }]
"#;
    let dir = pack(&[
        ("pack.toml", manifest.as_bytes()),
        ("rules.toml", rules.as_bytes()),
    ]);
    let err = refused("expansion bomb", dir.path(), 20);
    assert!(err.contains("rules.toml:5:11: rule age.bomb:"), "{err}");
    assert!(err.contains("too large"), "{err}");
}

fn big_lexicon(entries: usize) -> String {
    let mut tsv = String::with_capacity(entries * 40);
    for i in 0..entries {
        // Many phrases per code, words that look like real ones.
        tsv.push_str(&format!("C{}\tzorbed{i} offence\tplinked{i}\n", i % 1000));
    }
    tsv
}

fn big_lexicon_pack(rules: &str) -> (tempfile::TempDir, usize) {
    let manifest =
        format!("{MANIFEST}\n[lexicons.BIG]\nfile = \"lexicons/big.tsv\"\nplurals = true\n");
    let tsv = big_lexicon(100_000);
    let dir = pack(&[
        ("pack.toml", manifest.as_bytes()),
        ("rules.toml", rules.as_bytes()),
        ("lexicons/big.tsv", tsv.as_bytes()),
    ]);
    (dir, tsv.len())
}

/// A 100,000-entry lexicon used as rules use big lexicons: `each` over a
/// capture, `lexicon:` normalization, and one code inline (`{{BIG.C5}}`).
#[test]
fn a_lexicon_of_100_000_entries_loads_and_says_how_long() {
    let rules = r#"
[[rule]]
id = "charge.big-list"
field = "charge"
pattern = '(?i)\bcharged with (?P<value>[^.]+)'
normalize = "lexicon:BIG"
each = "BIG"
examples = [{ text = "He was charged with zorbed99999 offence and plinked5.", value = ["C999", "C5"] }]

[[rule]]
id = "charge.big-one-code"
field = "charge"
pattern = '(?i)\bguilty of (?P<value>{{BIG.C5}})'
normalize = "lexicon:BIG"
examples = [{ text = "found guilty of plinked1005 today", value = "C5" }]
"#;
    let (dir, bytes) = big_lexicon_pack(rules);
    let (extractor, took) = load("100k lexicon", dir.path(), 60);
    let extractor = extractor.unwrap_or_else(|e| panic!("{e}"));
    eprintln!("100,000-entry lexicon ({bytes} bytes): pack loaded and examples run in {took:?}");
    assert_eq!(extractor.pack().lexicons["BIG"].len(), 200_000);
    let doc = Document::from_bytes(
        "t",
        "t.txt",
        b"A 25-year-old was charged with zorbed42 offence and plinked77777. He was found guilty of zorbed5 offence.",
    );
    let record = extractor.record(&doc);
    let codes: Vec<&str> = record
        .mentions
        .iter()
        .map(|m| m.value.as_str().unwrap())
        .collect();
    assert_eq!(codes, ["C42", "C777", "C5"]);
}

/// The whole 100,000-entry lexicon inline in one regex is over the regex
/// size limit: refused as such, pointing at `each`.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimized (40 s to reach the regex size limit): run with --release"
)]
fn a_100_000_entry_alternation_inline_is_refused_as_too_large() {
    let rules = r#"
[[rule]]
id = "charge.big-inline"
field = "charge"
pattern = '(?i)\bguilty of (?P<value>{{BIG}})'
normalize = "lexicon:BIG"
examples = [{ text = "found guilty of plinked123 today", value = "C123" }]
"#;
    let (dir, _) = big_lexicon_pack(rules);
    let (result, took) = load("100k inline", dir.path(), 60);
    eprintln!("100,000-entry lexicon inline: refused in {took:?}");
    let err = result.expect_err("refused").to_string();
    assert!(
        err.contains("rules.toml:5:11: rule charge.big-inline: the expanded pattern is too large for the regex engine"),
        "{err}"
    );
    assert!(err.contains("use `each` with a lexicon"), "{err}");
}

#[test]
fn duplicate_rule_ids_are_located_with_the_first_definition() {
    let dir = pack(&[
        ("pack.toml", MANIFEST.as_bytes()),
        ("a.toml", AGE_RULE.as_bytes()),
        ("b.toml", format!("{AGE_RULE}\n{AGE_RULE}").as_bytes()),
    ]);
    let err = refused("duplicate ids", dir.path(), 10);
    let root = dir.path().display();
    assert!(
        err.contains(&format!(
            "{root}/b.toml:3:6: duplicate rule id \"age.year-old\" (first defined at {root}/a.toml:3:6)"
        )),
        "{err}"
    );
    assert_eq!(err.matches("duplicate rule id").count(), 2, "{err}");
    cli_refuses(dir.path(), "duplicate rule id \"age.year-old\"");
}

#[test]
fn invalid_utf8_in_a_rule_file_or_lexicon() {
    let mut rule = AGE_RULE.as_bytes().to_vec();
    rule.splice(40..40, b"\xff\xfe".iter().copied());
    let dir = pack(&[("pack.toml", MANIFEST.as_bytes()), ("rules.toml", &rule)]);
    let err = refused("invalid UTF-8 rule file", dir.path(), 10);
    assert!(
        err.contains("rules.toml:4:11: file is not valid UTF-8 (first bad byte at offset 40); save it as UTF-8"),
        "{err}"
    );
    cli_refuses(dir.path(), "not valid UTF-8");

    let manifest = format!("{MANIFEST}\n[lexicons.L]\nfile = \"l.tsv\"\n");
    let dir = pack(&[
        ("pack.toml", manifest.as_bytes()),
        ("rules.toml", AGE_RULE.as_bytes()),
        ("l.tsv", b"A\tone\nB\tt\xc3\x28wo\n"),
    ]);
    let err = refused("invalid UTF-8 lexicon", dir.path(), 10);
    assert!(
        err.contains("l.tsv:2:4: file is not valid UTF-8 (first bad byte at offset 9)"),
        "{err}"
    );
}

const TEN_MB: usize = 10 << 20;

#[test]
fn a_ten_megabyte_toml_of_comments_loads() {
    let mut text = String::with_capacity(TEN_MB + 1000);
    while text.len() < TEN_MB {
        text.push_str("# a comment line that says nothing at all, repeated to make the file big\n");
    }
    text.push_str(AGE_RULE);
    let dir = pack(&[
        ("pack.toml", MANIFEST.as_bytes()),
        ("rules.toml", text.as_bytes()),
    ]);
    let (extractor, took) = load("10 MB of comments", dir.path(), 20);
    assert_eq!(extractor.unwrap().pack().rules.len(), 1);
    eprintln!("10 MB TOML of comments: {took:?}");
}

#[test]
fn a_ten_megabyte_toml_with_an_error_at_the_end_is_located() {
    let mut text = String::with_capacity(TEN_MB + 1000);
    let mut lines = 0;
    while text.len() < TEN_MB {
        text.push_str("# filler\n");
        lines += 1;
    }
    text.push_str("[[rule]]\nid = \"x\"\nfield = \"age\"\npattern = 'unclosed\n");
    let dir = pack(&[
        ("pack.toml", MANIFEST.as_bytes()),
        ("rules.toml", text.as_bytes()),
    ]);
    let err = refused("10 MB, error at the end", dir.path(), 20);
    assert!(
        err.contains(&format!("rules.toml:{}:", lines + 4)),
        "{}",
        &err[..err.len().min(500)]
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimized (regex compilation up to the size limit): run with --release"
)]
fn a_ten_megabyte_pattern_is_refused_or_loads_in_bounded_time() {
    // One rule whose pattern is a 10 MB alternation of literal words.
    let words: Vec<String> = (0..TEN_MB / 12).map(|i| format!("w{i:09}")).collect();
    let text = format!(
        "[[rule]]\nid = \"age.wide\"\nfield = \"age\"\npattern = '(?:{})-(?P<value>\\d+)'\nnormalize = \"number\"\nexamples = [{{ text = \"w000000001-7\", value = 7 }}]\n",
        words.join("|")
    );
    let dir = pack(&[
        ("pack.toml", MANIFEST.as_bytes()),
        ("rules.toml", text.as_bytes()),
    ]);
    let (result, took) = load("10 MB pattern", dir.path(), 60);
    eprintln!(
        "10 MB pattern: {} in {took:?}",
        match &result {
            Ok(_) => "loaded".to_string(),
            Err(e) => e.to_string(),
        }
    );
    if let Err(e) = result {
        let err = e.to_string();
        assert!(
            err.contains("rules.toml:4:11: rule age.wide: the expanded pattern is too large"),
            "{err}"
        );
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "big: runs with --release (the smaller variant runs unoptimized)"
)]
fn a_ten_megabyte_toml_of_rules_loads_in_bounded_time() {
    let mut text = String::with_capacity(TEN_MB + 1000);
    let mut n = 0;
    while text.len() < TEN_MB {
        text.push_str(&format!(
            "[[rule]]\nid = \"age.r{n}\"\nfield = \"age\"\npattern = '(?P<value>\\d{{1,3}})-year-old-{n}'\nnormalize = \"number\"\n\n"
        ));
        n += 1;
    }
    let dir = pack(&[
        ("pack.toml", MANIFEST.as_bytes()),
        ("rules.toml", text.as_bytes()),
    ]);
    let (result, took) = load("10 MB of rules", dir.path(), 120);
    assert_eq!(result.unwrap().pack().rules.len(), n);
    eprintln!("10 MB TOML of {n} rules: {took:?}");
}

#[test]
fn a_ten_megabyte_toml_of_garbage_is_a_located_syntax_error() {
    let mut garbage = Vec::with_capacity(TEN_MB);
    let mut x: u32 = 7;
    while garbage.len() < TEN_MB {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage.push(b"[]{}=\"'\n #abc\t.,"[(x % 16) as usize]);
    }
    let dir = pack(&[("pack.toml", MANIFEST.as_bytes()), ("rules.toml", &garbage)]);
    let err = refused("10 MB garbage", dir.path(), 20);
    assert!(
        err.contains("rules.toml:"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(
        err.lines().count() < 100,
        "one problem per file, not one per byte"
    );
}

#[test]
fn many_problems_in_a_big_lexicon_are_reported_in_bounded_time() {
    // 100,000 lexicon lines that are all wrong: every one is reported with its line.
    let mut tsv = String::new();
    for i in 0..100_000 {
        tsv.push_str(&format!("C{i}\n"));
    }
    let manifest = format!("{MANIFEST}\n[lexicons.L]\nfile = \"l.tsv\"\n");
    let dir = pack(&[
        ("pack.toml", manifest.as_bytes()),
        ("rules.toml", AGE_RULE.as_bytes()),
        ("l.tsv", tsv.as_bytes()),
    ]);
    let err = refused("100k bad lexicon lines", dir.path(), 20);
    assert!(
        err.contains("l.tsv:100000:1: lexicon entry C99999 has no phrases"),
        "{}",
        &err[err.len().saturating_sub(500)..]
    );
}

#[test]
fn the_embedded_pack_still_loads() {
    let started = Instant::now();
    let pack = Pack::embedded().unwrap();
    eprintln!(
        "embedded pack: {} rules in {:?}",
        pack.rules.len(),
        started.elapsed()
    );
}
