//! `docket check`: load a pack and run every rule's examples.

use anyhow::Result;

use crate::{PackArgs, EXIT_OK, EXIT_SOME_FAILED};

pub fn check(args: PackArgs) -> Result<u8> {
    let pack = match &args.rules {
        Some(dir) => docket::Pack::from_dir(dir)?,
        None => docket::Pack::embedded()?,
    };
    let problems = docket::check::run_examples(&pack);
    for problem in &problems {
        println!("{problem}");
    }
    let examples: usize = pack
        .rules
        .iter()
        .map(|r| r.examples.len() + r.counter_examples.len())
        .sum();
    eprintln!(
        "{} rules, {} lexicons, {examples} examples: {} failed",
        pack.rules.len(),
        pack.lexicons.len(),
        problems.len()
    );
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    })
}
