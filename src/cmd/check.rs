//! `docket check`: load a pack, run every rule's examples and lint it,
//! reporting like a compiler (`file:line:col: message`).

use std::io::Write;

use anyhow::Result;
use docket::review::lint::{self, Severity};
use docket::rules::{embedded, PackFiles};
use docket::{Pack, RuleError};

use crate::{PackArgs, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE};

#[derive(clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub pack: PackArgs,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print errors only.
    #[arg(long, conflicts_with = "deny_warnings")]
    pub no_warnings: bool,
    /// List every shadowed lexicon phrase instead of one line per lexicon.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn check(args: CheckArgs) -> Result<u8> {
    let files = match &args.pack.rules {
        Some(dir) => PackFiles::read_dir(dir)?,
        None => embedded::files(),
    };
    let pack = match Pack::from_files(&files) {
        Ok(pack) => pack,
        Err(RuleError::Invalid(problems)) => {
            // The loader's problems (duplicate ids, bad regexes, a phrase with
            // two codes...) are already located: print them as findings.
            let mut out = std::io::stdout().lock();
            for problem in &problems {
                writeln!(out, "{problem}")?;
            }
            eprintln!(
                "docket: the rule pack does not load: {} errors",
                problems.len()
            );
            return Ok(EXIT_USAGE);
        }
        Err(other) => return Err(other.into()),
    };
    let findings = lint::check(&pack, &files);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let shown = if args.verbose {
        findings
    } else {
        lint::collapse_shadowed(findings)
    };
    let mut out = std::io::stdout().lock();
    for finding in &shown {
        if finding.severity == Severity::Error || !args.no_warnings {
            writeln!(out, "{finding}")?;
        }
    }
    let examples: usize = pack
        .rules
        .iter()
        .map(|r| r.examples.len() + r.counter_examples.len())
        .sum();
    eprintln!(
        "{} rules, {} lexicons, {examples} examples: {errors} errors, {warnings} warnings",
        pack.rules.len(),
        pack.lexicons.len(),
    );
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    Ok(if failed { EXIT_SOME_FAILED } else { EXIT_OK })
}
