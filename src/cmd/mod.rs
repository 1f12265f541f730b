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
    InputSize::of(&batch::expand_inputs(args).0).expected()
}

/// What inputs already expanded hold.
pub struct InputSize {
    /// The size of every input file added up (files that cannot be read
    /// count nothing: reading them reports them).
    pub files: u64,
    /// One input is stdin, whose size is not known ahead.
    pub stdin: bool,
}

impl InputSize {
    pub fn of(inputs: &[batch::Input]) -> InputSize {
        let mut size = InputSize {
            files: 0,
            stdin: false,
        };
        for input in inputs {
            match input {
                batch::Input::File { path, .. } => {
                    size.files += std::fs::metadata(path).map_or(0, |m| m.len());
                }
                batch::Input::Stdin => size.stdin = true,
            }
        }
        size
    }

    /// The bytes to expect: unbounded when one input is stdin.
    pub fn expected(&self) -> u64 {
        if self.stdin {
            u64::MAX
        } else {
            self.files
        }
    }
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
