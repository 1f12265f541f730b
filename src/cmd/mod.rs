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
