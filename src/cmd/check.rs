//! `docket check`: load a pack, run every rule's examples and lint it,
//! reporting like a compiler (`file:line:col: message`); with `--profile`,
//! then say what each rule costs on the articles given.

use std::io::Write;

use anyhow::Result;
use docket::review::lint::{self, Severity};
use docket::review::profile::Profiler;
use docket::rules::{embedded, PackFiles};
use docket::{Pack, RuleError, Scale};

use super::ExpandedInputs;
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
    /// Then extract these inputs (files, folders, globs, - for JSONL on
    /// stdin) on one thread and print what each rule costs, the costliest
    /// first: time to build, windows the prefilter sent it to, mentions,
    /// time searching. Nothing is written. (A pack from --rules compiles
    /// its rules at load, so its build times show for large inputs only.)
    #[arg(long, value_name = "INPUT", num_args = 1..)]
    pub profile: Vec<String>,
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
    let mut failed = errors > 0 || (args.deny_warnings && warnings > 0);
    if !args.profile.is_empty() {
        // Loaded again as `extract` loads it: running the examples built
        // the rules already.
        let fresh = match &args.pack.rules {
            Some(_) => Pack::from_files(&files)?,
            None => Pack::embedded()?,
        };
        failed |= profile(&fresh, &args.profile)?;
    }
    Ok(if failed { EXIT_SOME_FAILED } else { EXIT_OK })
}

/// Prints the rule costs of extracting `inputs`, with rules built for the
/// scale `docket extract` would pick for them. True when an input could
/// not be read.
fn profile(pack: &Pack, inputs: &[String]) -> Result<bool> {
    let inputs = ExpandedInputs::new(inputs);
    let scale = Scale::of_input(inputs.expected_bytes());
    let mut profiler = Profiler::new(pack, scale);
    let failed = inputs.for_each_document(|doc| profiler.add(doc));
    let profile = profiler.finish();
    write!(std::io::stdout().lock(), "{}", profile.render(pack))?;
    Ok(failed)
}
