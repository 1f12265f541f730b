//! Rule costs: where extraction time goes, rule by rule (`docket check
//! --profile`).
//!
//! In: a pack, articles, and the [`Scale`] `docket extract` would build the
//! rules for. Out: a [`Profile`]: for each rule, the time to build its
//! regex, the places the prefilter sent it to, the mentions it found and
//! the time spent searching; and the time of the stages all rules share.
//! Articles are extracted in groups as a large batch extracts them, on one
//! thread, so the times add up to what one `--jobs 1` core spends. The
//! counts are exact and the same on every run; the times are measurements.

use std::time::{Duration, Instant};

use crate::batch::MAX_GROUP_BYTES;
use crate::matcher::{self, Plan, RuleSelection, Scratch};
use crate::rules::{Pack, Scale};
use crate::segment::{self, Segmented};
use crate::Document;

/// What extracting some articles cost.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// The scale the rules were built for.
    pub scale: Scale,
    /// Articles profiled.
    pub articles: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Time to build each rule's regex, by rule index.
    pub build: Vec<Duration>,
    /// Time to build the lexicon scanners of `each` rules.
    pub scanners: Duration,
    /// Time to split articles into sentences.
    pub segment: Duration,
    /// What matching cost: the prefilter, and each rule.
    pub matching: matcher::MatchProfile,
}

impl Profile {
    /// Rule indexes, the costliest (search time) first; ties in pack order.
    pub fn by_cost(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.matching.rules.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.matching.rules[i].time));
        order
    }

    /// A table, one rule per line, the costliest first, then the totals.
    pub fn render(&self, pack: &Pack) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let searching: Duration = self.matching.rules.iter().map(|c| c.time).sum();
        let mut out = format!(
            "{:<36} {:>9} {:>9} {:>9} {:>10} {:>6}  {}\n",
            "rule", "build ms", "windows", "mentions", "search ms", "share", "searched"
        );
        for index in self.by_cost() {
            let cost = &self.matching.rules[index];
            let share = 100.0 * cost.time.as_secs_f64() / searching.as_secs_f64().max(1e-9);
            let plan = Plan::of(pack, index).map_or("-".to_string(), |plan| plan.to_string());
            out.push_str(&format!(
                "{:<36} {:>9.1} {:>9} {:>9} {:>10.1} {:>5.1}%  {plan}\n",
                pack.rules[index].id,
                ms(self.build.get(index).copied().unwrap_or_default()),
                cost.windows,
                cost.mentions,
                ms(cost.time),
                share
            ));
        }
        let built: Duration = self.build.iter().sum();
        out.push_str(&format!(
            "{} articles, {}, rules built for {:?} input: build {:.1} ms (lexicon scanners {:.1} ms); segment {:.1} ms, prefilter {:.1} ms, rule searches {:.1} ms\n",
            self.articles,
            size(self.bytes),
            self.scale,
            ms(built),
            ms(self.scanners),
            ms(self.segment),
            ms(self.matching.prefilter),
            ms(searching),
        ));
        out
    }
}

/// `bytes` in kB or MB, whichever reads better.
fn size(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// Profiles extracting articles with a pack, its rules built for a scale:
/// [`Profiler::add`] each article, then [`Profiler::finish`]. Articles are
/// held only until their group is matched.
pub struct Profiler<'p> {
    pack: &'p Pack,
    profile: Profile,
    scratch: Scratch,
    group: Vec<Segmented>,
    group_bytes: u64,
}

impl<'p> Profiler<'p> {
    /// Builds every rule of `pack` for `scale` first, timing each, so that
    /// search times hold no build time.
    pub fn new(pack: &'p Pack, scale: Scale) -> Profiler<'p> {
        let mut profile = Profile {
            scale,
            ..Profile::default()
        };
        let clock = Instant::now();
        for lexicon in pack
            .rules
            .iter()
            .filter_map(|r| pack.lexicons.get(r.each.as_deref()?))
        {
            lexicon.scan("", scale);
        }
        profile.scanners = clock.elapsed();
        profile.build = pack
            .rules
            .iter()
            .map(|rule| {
                let clock = Instant::now();
                rule.regex.get(scale);
                clock.elapsed()
            })
            .collect();
        let mut scratch = Scratch::for_scale(scale);
        scratch.profile = Some(matcher::MatchProfile::default());
        Profiler {
            pack,
            profile,
            scratch,
            group: Vec::new(),
            group_bytes: 0,
        }
    }

    /// Extracts `doc`, with the articles before it while they are fewer
    /// than a large batch's group.
    pub fn add(&mut self, doc: Document) {
        self.profile.articles += 1;
        self.profile.bytes += doc.text.len() as u64;
        self.group_bytes += doc.text.len() as u64;
        let clock = Instant::now();
        let segmented =
            segment::segment_from(&doc.text, doc.body_start, &self.pack.segment.abbreviations);
        self.profile.segment += clock.elapsed();
        self.group.push(segmented);
        if self.group_bytes >= MAX_GROUP_BYTES {
            self.match_group();
        }
    }

    /// What it all cost.
    pub fn finish(mut self) -> Profile {
        self.match_group();
        self.profile.matching = self.scratch.profile.take().unwrap_or_default();
        self.profile
    }

    fn match_group(&mut self) {
        if !self.group.is_empty() {
            let all = RuleSelection::All;
            matcher::find_mentions_in_group(self.pack, &self.group, all, &mut self.scratch);
        }
        self.group.clear();
        self.group_bytes = 0;
    }
}

/// Profiles extracting `docs` (see [`Profiler`]).
pub fn profile(pack: &Pack, docs: impl IntoIterator<Item = Document>, scale: Scale) -> Profile {
    let mut profiler = Profiler::new(pack, scale);
    docs.into_iter().for_each(|doc| profiler.add(doc));
    profiler.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::find_mentions;

    fn seeds() -> Vec<Document> {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
        let (inputs, problems) = crate::batch::expand_inputs(&[seeds.to_string()]);
        assert!(problems.is_empty());
        inputs
            .iter()
            .flat_map(crate::review::inputs::documents)
            .map(|doc| doc.expect("seeds are readable"))
            .collect()
    }

    #[test]
    fn counts_are_the_prefilters_windows_and_the_matchers_mentions() {
        let pack = Pack::embedded_shared();
        let docs = seeds();
        let profile = profile(pack, docs.clone(), Scale::Small);
        assert_eq!(profile.articles, docs.len());
        let mut windows = vec![0u64; pack.rules.len()];
        let mut kept = vec![0u64; pack.rules.len()];
        for doc in &docs {
            let seg = segment::segment_from(&doc.text, doc.body_start, &pack.segment.abbreviations);
            let candidates = pack.prefilter.candidates(&seg.view, &seg.sentences);
            for (rule, windows) in windows.iter_mut().enumerate() {
                *windows += candidates[rule].len() as u64;
            }
            for mention in find_mentions(pack, &seg, RuleSelection::All) {
                kept[mention.rule] += 1;
            }
        }
        let counted: Vec<u64> = profile.matching.rules.iter().map(|c| c.windows).collect();
        assert_eq!(counted, windows);
        // Mentions are counted as found, before vetoes and duplicates go.
        for (rule, cost) in profile.matching.rules.iter().enumerate() {
            assert!(cost.mentions >= kept[rule], "{}", pack.rules[rule].id);
        }
        assert!(kept.iter().sum::<u64>() > 0, "the seeds have mentions");
        assert_eq!(profile.build.len(), pack.rules.len());
    }

    #[test]
    fn the_table_lists_every_rule_costliest_first() {
        let pack = Pack::embedded_shared();
        let profile = profile(pack, seeds(), Scale::Small);
        let table = profile.render(pack);
        let rows: Vec<&str> = table.lines().skip(1).take(pack.rules.len()).collect();
        assert_eq!(rows.len(), pack.rules.len());
        let times: Vec<f64> = rows
            .iter()
            .map(|row| row.split_whitespace().nth(4).unwrap().parse().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{table}");
        for rule in &pack.rules {
            assert!(rows
                .iter()
                .any(|row| row.starts_with(&format!("{} ", rule.id))));
        }
        assert!(table.lines().last().unwrap().contains("articles"));
    }
}
