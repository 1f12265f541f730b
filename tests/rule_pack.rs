//! The rule pack: every example of the default pack passes, the embedded pack
//! is the one in `rules/`, and broken packs are refused with located errors.

mod common;

use std::fs;
use std::path::Path;

use docket::{check, Pack, RuleError};

#[test]
fn every_default_rule_example_passes() {
    let pack = Pack::embedded().unwrap();
    let problems = check::run_examples(&pack);
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(lines.is_empty(), "failing examples:\n{}", lines.join("\n"));
}

#[test]
fn every_default_rule_has_an_example() {
    let pack = Pack::embedded().unwrap();
    let bare: Vec<&str> = pack
        .rules
        .iter()
        .filter(|r| r.examples.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert!(bare.is_empty(), "rules without examples: {bare:?}");
}

#[test]
fn embedded_pack_equals_the_rules_folder() {
    let embedded = Pack::embedded().unwrap();
    let on_disk = Pack::from_dir(&common::root().join("rules")).unwrap();
    let ids = |p: &Pack| {
        p.rules
            .iter()
            .map(|r| (r.id.clone(), r.source.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&embedded), ids(&on_disk));
    assert_eq!(
        embedded.lexicons.keys().collect::<Vec<_>>(),
        on_disk.lexicons.keys().collect::<Vec<_>>()
    );
}

#[test]
fn country_lexicon_covers_all_iso_codes_and_offences_cover_every_nibrs_code() {
    let pack = Pack::embedded().unwrap();
    assert_eq!(pack.lexicons["COUNTRY"].codes().len(), 249);
    let offences = &pack.lexicons["OFFENCE"];
    assert!(
        offences.len() >= 300,
        "only {} offence phrases",
        offences.len()
    );
    for code in pack.lexicons["NIBRS"].codes() {
        assert!(
            offences.codes().contains(&code),
            "no offence phrase for NIBRS {code}"
        );
    }
}

/// A copy of the default pack in a temporary folder, with `edit` applied to one file.
fn edited_pack(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&common::root().join("rules"), dir.path());
    let path = dir.path().join(file);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(text)).unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

fn problems(dir: &Path) -> Vec<String> {
    match docket::Extractor::from_dir(dir) {
        Ok(_) => vec![],
        Err(RuleError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
        Err(other) => vec![other.to_string()],
    }
}

const BAD_RULE: &str = "\n[[rule]]\nid = \"test.bad\"\nfield = \"age\"\npattern = '(?P<value>\\d+'\nnormalize = \"number\"\nexamples = [{ text = \"7\", value = 7 }]\n";

#[test]
fn broken_regex_is_located_with_the_regex_message() {
    let dir = edited_pack("age.toml", |t| t + BAD_RULE);
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    let file = format!("{}/age.toml:", dir.path().display());
    assert!(found[0].starts_with(&file), "{}", found[0]);
    assert!(
        found[0].contains("rule test.bad: invalid regex"),
        "{}",
        found[0]
    );
    assert!(found[0].contains("unclosed group"), "{}", found[0]);
}

#[test]
fn unknown_subpattern_cycle_and_normalizer_are_located() {
    let dir = edited_pack("age.toml", |t| {
        t + "\n[patterns]\nLOOP_A = '{{LOOP_B}}'\nLOOP_B = '{{LOOP_A}}'\n"
            + "\n[[rule]]\nid = \"t.unknown\"\nfield = \"age\"\npattern = '{{NOPE}}'\nexamples = [{ text = \"x\", value = 1 }]\n"
            + "\n[[rule]]\nid = \"t.cycle\"\nfield = \"age\"\npattern = '{{LOOP_A}}'\nexamples = [{ text = \"x\", value = 1 }]\n"
            + "\n[[rule]]\nid = \"t.norm\"\nfield = \"age\"\npattern = 'x'\nnormalize = \"roman\"\nexamples = [{ text = \"x\", value = 1 }]\n"
    });
    let found = problems(dir.path()).join("\n");
    assert!(found.contains("unknown sub-pattern {{NOPE}}"), "{found}");
    assert!(
        found.contains("sub-pattern cycle: LOOP_A -> LOOP_B -> LOOP_A"),
        "{found}"
    );
    assert!(found.contains("unknown normalizer \"roman\""), "{found}");
    assert_eq!(
        found.lines().filter(|l| l.contains("/age.toml:")).count(),
        3,
        "{found}"
    );
}

#[test]
fn toml_syntax_error_and_duplicate_id_are_located() {
    let dir = edited_pack("sex.toml", |t| t.replacen("[[rule]]", "[[rule]\n", 1));
    let found = problems(dir.path());
    assert!(found[0].contains("/sex.toml:"), "{found:?}");
    let dir = edited_pack("sex.toml", |t| {
        t.replace("id = \"sex.noun\"", "id = \"sex.field\"")
    });
    let found = problems(dir.path()).join("\n");
    assert!(found.contains("duplicate rule id \"sex.field\""), "{found}");
}

#[test]
fn failing_example_refuses_the_pack() {
    let dir = edited_pack("age.toml", |t| {
        t.replace(
            "{ text = \"Age: 54\", value = 54 }",
            "{ text = \"Age: 54\", value = 55 }",
        )
    });
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("example \"Age: 54\" expected 55, got 54"),
        "{}",
        found[0]
    );
}
