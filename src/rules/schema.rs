//! The TOML shapes of `pack.toml` and rule files, as deserialized (with spans
//! for error locations). Unknown keys are errors, so typos are caught.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::lexicon::LexiconOptions;
use crate::normalize::NormalizerConfig;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPack {
    pub pack: RawPackMeta,
    #[serde(default)]
    pub segment: RawSegment,
    #[serde(default)]
    pub assembly: RawAssembly,
    #[serde(default)]
    pub normalizers: NormalizerConfig,
    #[serde(default)]
    pub lexicons: BTreeMap<String, Spanned<RawLexicon>>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub patterns: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPackMeta {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSegment {
    #[serde(default)]
    pub abbreviations: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAssembly {
    #[serde(default = "default_window")]
    pub window: usize,
    #[serde(default = "default_complete_within")]
    pub complete_within: usize,
}

fn default_window() -> usize {
    2
}

fn default_complete_within() -> usize {
    80
}

impl Default for RawAssembly {
    fn default() -> Self {
        RawAssembly {
            window: default_window(),
            complete_within: default_complete_within(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLexicon {
    pub file: String,
    #[serde(default)]
    pub case_sensitive: bool,
    #[serde(default)]
    pub plurals: bool,
}

impl RawLexicon {
    pub fn options(&self) -> LexiconOptions {
        LexiconOptions {
            case_sensitive: self.case_sensitive,
            plurals: self.plurals,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRuleFile {
    #[serde(default)]
    pub patterns: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub rule: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    pub field: Spanned<String>,
    pub pattern: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub capture: Option<Spanned<String>>,
    #[serde(default)]
    pub normalize: Option<Spanned<String>>,
    #[serde(default)]
    pub value: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub each: Option<Spanned<String>>,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub vetoes: Vec<Spanned<String>>,
    #[serde(default)]
    pub anchors_document: bool,
    #[serde(default)]
    pub range: Option<Spanned<Vec<i64>>>,
    #[serde(default)]
    pub examples: Vec<Spanned<RawExample>>,
    #[serde(default)]
    pub counter_examples: Vec<Spanned<RawExample>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawExample {
    Text(String),
    Table {
        text: String,
        value: Option<toml::Value>,
    },
}
