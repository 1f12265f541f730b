#!/usr/bin/env bash
# Fuzz docket with cargo-fuzz (libFuzzer). Not part of the normal build or CI:
# the fuzz crate in fuzz/ has a workspace of its own.
#
#   scripts/fuzz.sh                      # every target, 10 minutes each, one after another
#   scripts/fuzz.sh extract_utf8 60      # one target for 60 seconds
#   scripts/fuzz.sh seed                 # only (re)build the seed corpora
#
# Targets: extract_bytes (arbitrary bytes as text or HTML), extract_utf8
# (arbitrary UTF-8, record and caret view), load_rules (rule packs:
# pack.toml, rules.toml and a lexicon split on lines `%%%`), jsonl_lines
# (JSONL input streams). Corpora are seeded from seeds/ and rules/ into
# fuzz/corpus/ (not committed); crashes land in fuzz/artifacts/<target>/.
#
# Safe Rust: no sanitizer, but debug assertions (overflow checks) on.
# Needs `cargo install cargo-fuzz`. cargo-fuzz needs nightly compiler flags
# (-Zsanitizer); on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CORPUS=$ROOT/fuzz/corpus
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/fuzz/target}

seed() {
    mkdir -p "$CORPUS"/{extract_bytes,extract_utf8,jsonl_lines,load_rules}
    local f name
    for f in seeds/*.txt; do
        name=$(basename "$f" .txt)
        cp "$f" "$CORPUS/extract_utf8/$name"
        # extract_bytes: an even first byte reads the rest as text, an odd one as HTML.
        { printf 't'; cat "$f"; } > "$CORPUS/extract_bytes/$name"
        { printf 'u<html><head><title>%s</title></head><body><p>' "$name"
          sed 's|$|</p><p>|' "$f"; printf '</p></body></html>'; } > "$CORPUS/extract_bytes/$name.html"
    done
    # jsonl_lines: the seeds as JSON Lines, one file of all and one per seed.
    python3 - "$CORPUS/jsonl_lines" seeds/*.txt <<'PY'
import json, os, sys
out, paths = sys.argv[1], sys.argv[2:]
lines = []
for i, p in enumerate(paths):
    text = open(p, encoding="utf-8").read()
    name = os.path.basename(p)[:-4]
    line = json.dumps({"id": name if i % 2 else i, "text": text, "title": name, "author": "A", "published": "July 17, 2019"})
    lines.append(line)
    open(os.path.join(out, name), "w").write(line + "\n")
open(os.path.join(out, "all"), "w").write("\n".join(lines) + "\n{\"id\": \"broken\", \"text\": \"A 2\n")
PY
    # load_rules: a small self-contained pack, and each default rule file with a manifest.
    local manifest='[pack]
name = "seed"
version = "0.1.0"

[segment]
abbreviations = ["U.S.", "Mr."]

[assembly]
window = 2
complete_within = 80

[normalizers]
number_words = ["WORDS"]
month_names = "WORDS"

[labels]
charge = "WORDS"

[lexicons.WORDS]
file = "lexicons/words.tsv"
plurals = true

[patterns]
NUM = '"'"'\d{1,3}'"'"'
J = '"'"'[- ]'"'"''
    local lexicon=$'3\tthree\tthird\n90D\tDUI\tdrunk driving\n220\tburglary\nMX\tMexican'
    {
        printf '%s\n%%%%%%\n' "$manifest"
        cat <<'TOML'
[[rule]]
id = "age.year-old"
field = "age"
pattern = '(?i)\b(?P<value>{{NUM}}|{{WORDS}}){{J}}years?{{J}}old\b'
normalize = "number"
range = [1, 110]
examples = [{ text = "a 25-year-old was charged", value = 25 }]
counter_examples = ["a 300-year-old law"]

[[rule]]
id = "charge.list"
field = "charge"
pattern = '(?i)\barrested for (?P<value>[^.]+)'
normalize = "lexicon:WORDS"
each = "WORDS"
examples = [{ text = "arrested for DUI and burglary", value = ["90D", "220"] }]

[[rule]]
id = "nationality.demonym"
field = "nationality"
pattern = '\b(?P<value>{{WORDS.MX}})\b'
normalize = "lexicon:WORDS"
priority = 2
vetoes = ["age"]
examples = [{ text = "a Mexican national", value = "MX" }]

[[rule]]
id = "detainer.declined"
field = "detainer"
pattern = '(?i)detainers? (?:was|were) (?:ignored|declined)'
normalize = "const"
value = "declined"
scope = "sentence"
anchors_document = true
examples = [{ text = "detainers were ignored", value = "declined" }]
TOML
        printf '\n%%%%%%\n%s\n' "$lexicon"
    } > "$CORPUS/load_rules/mini"
    for f in rules/*.toml; do
        [ "$(basename "$f")" = pack.toml ] && continue
        { cat rules/pack.toml; printf '\n%%%%%%\n'; cat "$f"; printf '\n%%%%%%\n'; cat rules/lexicons/offences.tsv; } \
            > "$CORPUS/load_rules/$(basename "$f" .toml)"
    done
}

run() {
    local target=$1 seconds=$2
    mkdir -p "fuzz/artifacts/$target"
    (cd fuzz && cargo fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 -max_len=65536 -print_final_stats=1)
}

seed
case "${1:-all}" in
    seed) ;;
    all) for t in extract_bytes extract_utf8 load_rules jsonl_lines; do run "$t" "${2:-600}"; done ;;
    *) run "$1" "${2:-600}" ;;
esac
