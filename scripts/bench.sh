#!/usr/bin/env bash
# Throughput benchmark: docket against the regex speed-limit probe and the
# Python peers, one program at a time, on the same corpus of real articles.
#
#   scripts/bench.sh [MB] [RUNS]        (defaults: 64 MB, 3 runs each)
#
# Needs ../shared (corpus/make_bulk.py, peers/), python3 and /usr/bin/time.
# The corpus and the probe's build live under $BENCH_DIR (default
# /tmp/docket-bench), never in the repository. spaCy is used if importable
# (pip install spacy); otherwise its row says so.
# Prints one table: median wall time, MB/s (10^6 bytes / s, whole process),
# peak RSS, and docket's ratio over each other program; then start-up
# times, and the library's per-stage timing (benches/pipeline.rs) on the
# same corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
MB="${1:-64}"
RUNS="${2:-3}"
SHARED="$(cd .. && pwd)/shared"
BENCH_DIR="${BENCH_DIR:-/tmp/docket-bench}"
CORPUS="$BENCH_DIR/real$MB"
[ -f "$SHARED/corpus/make_bulk.py" ] || { echo "bench: ../shared is missing" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
if [ ! -d "$CORPUS" ]; then
  python3 "$SHARED/corpus/make_bulk.py" --real --out "$CORPUS" --mb "$MB" >&2
fi
BYTES=$(find "$CORPUS" -name '*.txt' -printf '%s\n' | awk '{s+=$1} END {print s}')

cargo build --release --quiet
DOCKET="$PWD/target/release/docket"
PROBE_TARGET="$BENCH_DIR/probe-target"
CARGO_TARGET_DIR="$PROBE_TARGET" cargo build --release --quiet --manifest-path "$SHARED/peers/limit/Cargo.toml"
PROBE="$PROBE_TARGET/release/regex-limit-probe"

# name|command
PROGRAMS=(
  "docket -j1|$DOCKET extract -q -j1 $CORPUS"
  "docket -j2|$DOCKET extract -q -j2 $CORPUS"
  "probe multi|$PROBE $CORPUS --mode multi --ascii-wb --dfa-mb 256"
  "re_peer|python3 $SHARED/peers/re_peer.py $CORPUS"
)
if python3 -c 'import spacy' 2>/dev/null; then
  PROGRAMS+=("spacy_peer|python3 $SHARED/peers/spacy_peer.py $CORPUS")
else
  echo "bench: spaCy not installed, spacy_peer skipped (pip install spacy)" >&2
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A SECONDS_OF RSS_OF
for entry in "${PROGRAMS[@]}"; do
  name="${entry%%|*}"; cmd="${entry#*|}"
  runs="$RUNS"
  case "$name" in *peer*) runs=1 ;; esac   # the peers take minutes on 64 MB
  times=(); rss=()
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f '%e %M' bash -c "$cmd > /dev/null 2>/dev/null"; } 2>&1 | tail -1 )
    times+=("${out% *}"); rss+=("${out#* }")
  done
  SECONDS_OF[$name]=$(printf '%s\n' "${times[@]}" | median)
  RSS_OF[$name]=$(printf '%s\n' "${rss[@]}" | median)
  echo "bench: $name done (${SECONDS_OF[$name]} s)" >&2
done

echo
echo "corpus: $CORPUS, $BYTES bytes; $(nproc) cores; $(uname -m); runs: $RUNS (peers: 1)"
printf '%-14s %10s %10s %12s %14s\n' program "wall s" "MB/s" "peak RSS MB" "docket -j1 x"
base="${SECONDS_OF[docket -j1]}"
for entry in "${PROGRAMS[@]}"; do
  name="${entry%%|*}"
  s="${SECONDS_OF[$name]}"
  awk -v n="$name" -v s="$s" -v b="$BYTES" -v r="${RSS_OF[$name]}" -v base="$base" \
    'BEGIN { printf "%-14s %10.2f %10.2f %12.1f %14.2f\n", n, s, b/1e6/s, r/1024, s/base }'
done

# Start-up: process start to exit, median of 21 runs each.
ms_median() {
  local times=()
  for _ in $(seq 21); do
    local t0 t1
    t0=$(date +%s%N); "$@" > /dev/null 2>&1 < /dev/null; t1=$(date +%s%N)
    times+=("$(( (t1 - t0) / 1000 ))")
  done
  printf '%s\n' "${times[@]}" | median | awk '{printf "%.1f", $1/1000}'
}
echo
echo "start-up (median of 21 runs, ms): pack load, no article: $(ms_median "$DOCKET" extract -q --input-format jsonl -)" \
  "; one small article end to end: $(ms_median "$DOCKET" extract -q seeds/constructed-list-style.txt)"
echo
echo "library stages (cargo bench --bench pipeline, in-memory text, 1 run):"
cargo bench --quiet --bench pipeline -- "$CORPUS" 1 2>/dev/null
