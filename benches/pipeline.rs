//! Library benchmark: the pipeline's stages on in-memory text.
//!
//!   cargo bench --bench pipeline -- [DIR] [RUNS]
//!
//! Reads every article under DIR (default: `seeds/`) into memory, as
//! `docket extract DIR` would read it, then times pack loading and, over
//! all articles, each stage on its own: segmentation, prefilter scan,
//! matching (rules and normalization), assembly, and record rendering to
//! JSON. Prints the median of RUNS (default 3) per stage, its share and
//! MB/s, beside the first pass, which also compiles the rules and builds
//! the lazy DFAs' states (a run's fixed cost); then the whole extraction of
//! one article at a time against groups of articles extracted together, as
//! a large batch does; then the costliest rules (`docket check --profile`).
//! No file reading or output writing is timed, so this is the engine's own
//! speed; `scripts/bench.sh` times the whole program.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use docket::batch::MAX_GROUP_BYTES;
use docket::matcher::{find_mentions_with, RuleSelection, Scratch};
use docket::{assemble, segment, Document, Extractor, Pack, Record, Scale};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let dir = PathBuf::from(args.first().map_or("seeds", String::as_str));
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);

    let started = Instant::now();
    let extractor = Extractor::embedded().expect("the embedded pack loads");
    let load = started.elapsed();

    let docs = read_corpus(&dir);
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    println!(
        "corpus: {} ({} articles, {:.1} MB); pack load {:.1} ms (regexes compile on first use)",
        dir.display(),
        docs.len(),
        bytes as f64 / 1e6,
        load.as_secs_f64() * 1e3
    );
    // One thread's search state, kept across documents as `Extractor` keeps
    // it. The first pass compiles every lazily built regex and fills the
    // caches: timed, as every run of the program pays it once.
    let mut scratch = Scratch::default();
    let first = time_stages(&extractor, &docs, &mut scratch);

    let mut samples: Vec<[Duration; 6]> = Vec::new();
    for _ in 0..runs {
        samples.push(time_stages(&extractor, &docs, &mut scratch));
    }
    let names = [
        "segment",
        "prefilter",
        "match",
        "assemble",
        "render",
        "total",
    ];
    println!(
        "{:<10} {:>10} {:>7} {:>10} {:>14}",
        "stage", "median ms", "share", "MB/s", "first pass ms"
    );
    let total = median(&samples, 5);
    for (i, name) in names.iter().enumerate() {
        let t = median(&samples, i);
        println!(
            "{:<10} {:>10.1} {:>6.1}% {:>10.1} {:>14.1}",
            name,
            t.as_secs_f64() * 1e3,
            100.0 * t.as_secs_f64() / total.as_secs_f64(),
            bytes as f64 / 1e6 / t.as_secs_f64(),
            first[i].as_secs_f64() * 1e3
        );
    }
    println!(
        "first pass over the median: +{:.1} ms (rules compiled on first use, lazy DFA states built: paid once a run)",
        first[5].saturating_sub(total).as_secs_f64() * 1e3
    );
    let (alone, grouped) = time_grouping(&extractor, &docs, runs);
    println!(
        "whole extraction to records: one article at a time {:.1} ms, in groups of {} KB {:.1} ms ({:.2}x)",
        alone.as_secs_f64() * 1e3,
        MAX_GROUP_BYTES >> 10,
        grouped.as_secs_f64() * 1e3,
        alone.as_secs_f64() / grouped.as_secs_f64()
    );
    // A pack of its own: the extractor's rules are built by now, and the
    // profile times building them.
    let pack = Pack::embedded().expect("the embedded pack loads");
    let scale = Scale::of_input(bytes as u64);
    let table = docket::review::profile::profile(&pack, docs, scale).render(&pack);
    let lines: Vec<&str> = table.lines().collect();
    println!("costliest rules (of {}):", pack.rules.len());
    for line in lines.iter().take(9).chain(lines.last()) {
        println!("  {line}");
    }
}

/// Medians of `runs` interleaved passes of `Extractor::record` on each
/// article and of `Extractor::records` on groups, as `docket extract` makes
/// them for a large batch.
fn time_grouping(extractor: &Extractor, docs: &[Document], runs: usize) -> (Duration, Duration) {
    let mut groups: Vec<Vec<&Document>> = vec![Vec::new()];
    let mut group_bytes = 0;
    for doc in docs {
        if group_bytes >= MAX_GROUP_BYTES as usize {
            groups.push(Vec::new());
            group_bytes = 0;
        }
        group_bytes += doc.text.len();
        groups.last_mut().expect("one group at least").push(doc);
    }
    let (mut alone, mut grouped) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let clock = Instant::now();
        for doc in docs {
            std::hint::black_box(extractor.record(doc));
        }
        alone.push(clock.elapsed());
        let clock = Instant::now();
        for group in &groups {
            std::hint::black_box(extractor.records(group));
        }
        grouped.push(clock.elapsed());
    }
    alone.sort();
    grouped.sort();
    (alone[runs / 2], grouped[runs / 2])
}

/// One pass over the corpus, each stage timed separately.
fn time_stages(extractor: &Extractor, docs: &[Document], scratch: &mut Scratch) -> [Duration; 6] {
    let pack = extractor.pack();
    let mut t = [Duration::ZERO; 6];
    for doc in docs {
        let clock = Instant::now();
        let seg = segment::segment_from(&doc.text, doc.body_start, &pack.segment.abbreviations);
        t[0] += clock.elapsed();
        let clock = Instant::now();
        std::hint::black_box(pack.prefilter.candidates(&seg.view, &seg.sentences));
        t[1] += clock.elapsed();
        let clock = Instant::now();
        let mentions = find_mentions_with(pack, &seg, RuleSelection::All, scratch);
        t[2] += clock.elapsed();
        let clock = Instant::now();
        std::hint::black_box(assemble::assemble(pack, &mentions));
        t[3] += clock.elapsed();
        let extraction = extractor.extract(doc);
        let clock = Instant::now();
        let record = Record::build(pack, doc, &extraction);
        std::hint::black_box(serde_json::to_vec(&record).expect("records serialize"));
        t[4] += clock.elapsed();
    }
    // `match` runs the prefilter itself: keep the matching's own share.
    t[2] = t[2].saturating_sub(t[1]);
    t[5] = t[0] + t[1] + t[2] + t[3] + t[4];
    t
}

fn median(samples: &[[Duration; 6]], stage: usize) -> Duration {
    let mut v: Vec<Duration> = samples.iter().map(|s| s[stage]).collect();
    v.sort();
    v[v.len() / 2]
}

/// Every article under `dir`, read as `docket extract` reads a folder.
fn read_corpus(dir: &Path) -> Vec<Document> {
    let (inputs, problems) = docket::batch::expand_inputs(&[dir.display().to_string()]);
    assert!(problems.is_empty(), "the corpus folder is readable");
    inputs
        .iter()
        .flat_map(docket::review::inputs::documents)
        .map(|doc| doc.expect("corpus files are readable"))
        .collect()
}
