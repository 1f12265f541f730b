//! Arbitrary bytes as an article: plain text (first byte even) or HTML (odd).
#![no_main]

mod common;

use docket::source::{read_article, InputFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let extractor = common::extractor();
    let (format, body) = match data.split_first() {
        Some((b, rest)) if b % 2 == 1 => (InputFormat::Html, rest),
        Some((_, rest)) => (InputFormat::Text, rest),
        None => (InputFormat::Text, data),
    };
    let doc = read_article(format, "fuzz", "fuzz.txt", body).expect("text and HTML always read");
    common::extract_and_check(extractor, &doc);
});
