//! Every seed article through the default pack, compared with the reviewed
//! snapshots in `snapshots/`: the JSON record and the caret view.
//! Review changes with `cargo insta review`; in CI a changed or missing
//! snapshot fails (insta writes nothing when CI is set).

mod common;

use insta::{assert_snapshot, glob, Settings};

fn settings() -> Settings {
    let mut settings = Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn seed_records() {
    let extractor = common::extractor();
    settings().bind(|| {
        glob!("../seeds", "*.txt", |path| {
            let doc = common::seed_document(path);
            let record = extractor.record(&doc);
            assert_snapshot!(serde_json::to_string_pretty(&record).unwrap());
        });
    });
}

#[test]
fn seed_caret_views() {
    let extractor = common::extractor();
    settings().bind(|| {
        glob!("../seeds", "*.txt", |path| {
            assert_snapshot!(extractor.caret_view(&common::seed_document(path)));
        });
    });
}
