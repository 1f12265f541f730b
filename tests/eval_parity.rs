//! `docket eval` gives the same figures as the reference scorer
//! (../shared/eval/score.py) on the development set.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn shared() -> Option<PathBuf> {
    let dir = common::root().join("../shared");
    let python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if dir.join("eval/score.py").exists() && dir.join("corpus/dev").is_dir() && python {
        Some(dir)
    } else {
        eprintln!("SKIPPED: eval parity needs ../shared (eval/score.py, corpus/dev) and python3; neither is optional in CI");
        None
    }
}

#[test]
fn eval_matches_the_reference_scorer_on_the_dev_set() {
    let Some(shared) = shared() else { return };
    let inputs = common::txt_files(&shared.join("corpus/dev"));
    let gold = shared.join("corpus/dev-gold");
    let dir = tempfile::tempdir().unwrap();
    let predictions = dir.path().join("pred.jsonl");
    let status = common::docket()
        .args(["extract", "--format", "jsonl", "-o"])
        .arg(&predictions)
        .args(&inputs)
        .status()
        .unwrap();
    assert!(status.success());
    let reference = Command::new("python3")
        .arg(shared.join("eval/score.py"))
        .arg(&gold)
        .arg(&predictions)
        .arg("--json")
        .output()
        .unwrap();
    common::assert_success(&reference);
    let ours = common::docket()
        .args(["eval", "--json", "--gold"])
        .arg(&gold)
        .args(&inputs)
        .output()
        .unwrap();
    common::assert_success(&ours);
    let reference: serde_json::Value = serde_json::from_slice(&reference.stdout).unwrap();
    let ours: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(ours["articles"], reference["articles"]);
    for (row, theirs) in reference["fields"].as_object().unwrap() {
        let mine = &ours["fields"][row];
        for key in ["tp", "pred", "gold"] {
            assert_eq!(mine[key], theirs[key], "{row}.{key}");
        }
        for key in ["p", "r", "f1"] {
            let (a, b) = (mine[key].as_f64().unwrap(), theirs[key].as_f64().unwrap());
            assert!((a - b).abs() < 1e-12, "{row}.{key}: {a} vs {b}");
        }
    }
}

/// The accuracy targets on the development set hold: a rule change that
/// lowers a field below its target fails here, before it lands.
#[test]
fn dev_set_accuracy_stays_at_or_above_the_targets() {
    let Some(shared) = shared() else { return };
    let inputs = common::txt_files(&shared.join("corpus/dev"));
    let out = common::docket()
        .args(["eval", "--json", "--gold"])
        .arg(shared.join("corpus/dev-gold"))
        .args(&inputs)
        .output()
        .unwrap();
    common::assert_success(&out);
    let score: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let targets = [
        ("age", 0.97),
        ("nationality", 0.97),
        ("charges", 0.90),
        ("charges+phase", 0.85),
        ("arrests", 0.90),
        ("detainer", 0.90),
        ("sex", 0.90),
        ("record", 0.85),
    ];
    for (field, target) in targets {
        let f1 = score["fields"][field]["f1"].as_f64().unwrap();
        assert!(
            f1 >= target,
            "{field} F1 {f1:.3} is below its target {target}"
        );
    }
}
