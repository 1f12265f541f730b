//! Arbitrary bytes as a JSONL stream: every line is an article or a located
//! error, never a panic.
#![no_main]

mod common;

use docket::source::JsonlReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let extractor = common::extractor();
    for (k, item) in JsonlReader::new(data, "fuzz.jsonl").enumerate() {
        match item {
            Ok(doc) => {
                common::extract_and_check(extractor, &doc);
            }
            Err(e) => {
                let message = e.to_string();
                assert!(message.starts_with("fuzz.jsonl:"), "{message}");
            }
        }
        if k > 64 {
            break;
        }
    }
});
