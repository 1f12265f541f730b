//! Arbitrary UTF-8 as an article: the JSON record and the caret view.
#![no_main]

mod common;

use docket::source::Meta;
use docket::Document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let extractor = common::extractor();
    let doc = Document::from_bytes("fuzz", "fuzz.txt", text.as_bytes());
    common::extract_and_check(extractor, &doc);
    let _ = extractor.caret_view(&doc);
    let whole = Document::from_text("fuzz", "fuzz.jsonl:1", text.to_string(), Meta::default());
    common::extract_and_check(extractor, &whole);
});
