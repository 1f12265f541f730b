//! One module per subcommand; each owns its arguments and its run function.

pub mod check;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod extract;
pub mod report;

use docket::batch;
use docket::review::inputs;
use docket::Document;

/// How many bytes the inputs (files, folders, globs) hold in all, for
/// `Extractor::with_expected_input`.
pub fn expected_input(args: &[String]) -> u64 {
    expected_bytes(&batch::expand_inputs(args).0)
}

/// [`expected_input`] of inputs already expanded: unbounded when one is
/// stdin, whose size is not known ahead.
pub fn expected_bytes(inputs: &[batch::Input]) -> u64 {
    if inputs.iter().any(|i| matches!(i, batch::Input::Stdin)) {
        u64::MAX
    } else {
        file_bytes(inputs)
    }
}

/// The size of every input file added up (stdin and files that cannot be
/// read count nothing: reading them reports them).
pub fn file_bytes(inputs: &[batch::Input]) -> u64 {
    inputs
        .iter()
        .filter_map(|input| match input {
            batch::Input::File { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
            batch::Input::Stdin => None,
        })
        .sum()
}

/// Calls `each` with every document the inputs name (files, folders,
/// globs, `-` for JSONL on stdin), in order. Inputs that cannot be read are
/// reported on stderr and skipped; the result says whether there were any.
pub fn for_each_document(args: &[String], mut each: impl FnMut(Document)) -> bool {
    let (expanded, reports) = batch::expand_inputs(args);
    let mut failed = !reports.is_empty();
    for report in &reports {
        eprintln!(
            "docket: {}: {}: {}",
            report.severity, report.input, report.message
        );
    }
    for doc in expanded.iter().flat_map(inputs::documents) {
        match doc {
            Ok(doc) => each(doc),
            Err(e) => {
                eprintln!("docket: error: {e}");
                failed = true;
            }
        }
    }
    failed
}
