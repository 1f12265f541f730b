#!/usr/bin/env bash
# Throughput benchmark: docket against the regex speed-limit probe and the
# Python peers, one program at a time, on the same corpus of real articles.
#
#   scripts/bench.sh [MB] [RUNS]        (defaults: 64 MB, 3 runs each)
#   PEER_RUNS=3 scripts/bench.sh ...    (the peers in the first 3 rounds, not
#                                        only the first: minutes each on 64 MB;
#                                        0 skips them)
#
# Needs ../shared (corpus/make_bulk.py, peers/), python3 and /usr/bin/time.
# The corpus and the probe's build live under $BENCH_DIR (default
# /tmp/docket-bench), never in the repository. spaCy is used if importable
# (pip install spacy); otherwise its row says so.
# Prints one table: median wall time, CPU time (user + system), MB/s
# (10^6 bytes / s, whole process), peak RSS, and each program's time over
# docket -j1's; the -j2 speed-up measured within each round, beside what two
# independent -j1 processes on the two halves of the corpus get; then start-up
# times, and the library's per-stage timing (benches/pipeline.rs) on the
# same corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
MB="${1:-64}"
RUNS="${2:-3}"
PEER_RUNS="${PEER_RUNS:-1}"
SHARED="$(cd .. && pwd)/shared"
BENCH_DIR="${BENCH_DIR:-/tmp/docket-bench}"
CORPUS="$BENCH_DIR/real$MB"
[ -f "$SHARED/corpus/make_bulk.py" ] || { echo "bench: ../shared is missing" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
if [ ! -d "$CORPUS" ]; then
  python3 "$SHARED/corpus/make_bulk.py" --real --out "$CORPUS" --mb "$MB" >&2
fi
BYTES=$(find "$CORPUS" -name '*.txt' -printf '%s\n' | awk '{s+=$1} END {print s}')
# The corpus in two halves (every other article, as links), for two -j1
# processes at once: what the machine gives two independent workers, the
# ceiling for -j2 on the same day.
HALVES="$BENCH_DIR/halves$MB"
if [ ! -d "$HALVES" ]; then
  mkdir -p "$HALVES/a" "$HALVES/b"
  find "$CORPUS" -name '*.txt' | sort | awk -v h="$HALVES" '{print $0, h "/" (NR % 2 ? "a" : "b") "/" NR ".txt"}' |
    while read -r from to; do ln -s "$from" "$to"; done
fi

cargo build --release --quiet
DOCKET="$PWD/target/release/docket"
PROBE_TARGET="$BENCH_DIR/probe-target"
CARGO_TARGET_DIR="$PROBE_TARGET" cargo build --release --quiet --manifest-path "$SHARED/peers/limit/Cargo.toml"
PROBE="$PROBE_TARGET/release/regex-limit-probe"

# name|command
PROGRAMS=(
  "docket -j1|$DOCKET extract -q -j1 $CORPUS"
  "docket -j2|$DOCKET extract -q -j2 $CORPUS"
  "2 x -j1, halves|( $DOCKET extract -q -j1 $HALVES/a & $DOCKET extract -q -j1 $HALVES/b & wait )"
  "probe multi|$PROBE $CORPUS --mode multi --ascii-wb --dfa-mb 256"
)
if [ "$PEER_RUNS" -eq 0 ]; then
  echo "bench: PEER_RUNS=0, the Python peers are skipped" >&2
else
  PROGRAMS+=("re_peer|python3 $SHARED/peers/re_peer.py $CORPUS")
  if python3 -c 'import spacy' 2>/dev/null; then
    PROGRAMS+=("spacy_peer|python3 $SHARED/peers/spacy_peer.py $CORPUS")
  else
    echo "bench: spaCy not installed, spacy_peer skipped (pip install spacy)" >&2
  fi
fi

# The VM this was written on pages out file pages left idle for about a
# minute (DAMON's "pageout" scheme): the first program of a round, after the
# peers' minutes, read part of the corpus and of its own binary from disk
# (10 MB after 75 s idle: +0.12 s), and docket -j1 is always that program.
# So every timed run starts with the corpus and both binaries just read, as
# after hyperfine's --warmup.
warm() {
  find "$CORPUS" -name '*.txt' -exec cat {} + > /dev/null
  cat "$DOCKET" "$PROBE" > /dev/null
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Rounds run every program once, in turn, so that a drift in the machine's
# speed (a shared VM) reaches all of them alike; the peers run in the first
# PEER_RUNS rounds only. Each round's docket -j1 over peer ratio is printed:
# docket and a peer a minute apart, not a median of one and a single run of
# the other from another minute.
declare -A TIMES_OF RSS_OF_RUNS CPU_OF_RUNS SECONDS_OF RSS_OF CPU_OF PEER_RATIOS
RATIOS=(); CEILINGS=(); PROBE_RATIOS=()
for round in $(seq "$RUNS"); do
  for entry in "${PROGRAMS[@]}"; do
    name="${entry%%|*}"; cmd="${entry#*|}"
    case "$name" in *peer*) [ "$round" -le "$PEER_RUNS" ] || continue ;; esac   # minutes each on 64 MB
    warm
    out=$( { /usr/bin/time -f '%e %M %U %S' bash -c "$cmd > /dev/null 2>/dev/null"; } 2>&1 | tail -1 )
    read -r wall rss user sys <<< "$out"
    TIMES_OF[$name]+="$wall "; RSS_OF_RUNS[$name]+="$rss "
    CPU_OF_RUNS[$name]+="$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') "
  done
  # -j2 over -j1 within the round: the two ran a few seconds apart.
  j1=$(echo "${TIMES_OF[docket -j1]}" | awk '{print $NF}'); j2=$(echo "${TIMES_OF[docket -j2]}" | awk '{print $NF}')
  RATIOS+=("$(awk -v a="$j1" -v b="$j2" 'BEGIN {print a / b}')")
  for entry in "${PROGRAMS[@]}"; do
    name="${entry%%|*}"
    case "$name" in *peer*) [ "$round" -le "$PEER_RUNS" ] || continue ;; *) continue ;; esac
    peer=$(echo "${TIMES_OF[$name]}" | awk '{print $NF}')
    PEER_RATIOS[$name]+="$(awk -v a="$j1" -v p="$peer" 'BEGIN {printf "%.1f", p / a}') "
  done
  # The probe target within the round: both a few seconds apart.
  probe=$(echo "${TIMES_OF[probe multi]}" | awk '{print $NF}')
  PROBE_RATIOS+=("$(awk -v a="$j1" -v p="$probe" 'BEGIN {printf "%.2f", a / p}')")
  two=$(echo "${TIMES_OF[2 x -j1, halves]}" | awk '{print $NF}')
  CEILINGS+=("$(awk -v a="$j1" -v b="$two" 'BEGIN {print a / b}')")
  echo "bench: round $round of $RUNS done" >&2
done
for entry in "${PROGRAMS[@]}"; do
  name="${entry%%|*}"
  SECONDS_OF[$name]=$(printf '%s\n' ${TIMES_OF[$name]} | median)
  RSS_OF[$name]=$(printf '%s\n' ${RSS_OF_RUNS[$name]} | median)
  CPU_OF[$name]=$(printf '%s\n' ${CPU_OF_RUNS[$name]} | median)
done

echo
echo "corpus: $CORPUS, $BYTES bytes; $(nproc) cores; $(uname -m); runs: $RUNS (peers: $PEER_RUNS)"
printf '%-16s %10s %10s %10s %12s %14s\n' program "wall s" "CPU s" "MB/s" "peak RSS MB" "docket -j1 x"
base="${SECONDS_OF[docket -j1]}"
for entry in "${PROGRAMS[@]}"; do
  name="${entry%%|*}"
  s="${SECONDS_OF[$name]}"
  awk -v n="$name" -v s="$s" -v c="${CPU_OF[$name]}" -v b="$BYTES" -v r="${RSS_OF[$name]}" -v base="$base" \
    'BEGIN { printf "%-16s %10.2f %10.2f %10.2f %12.1f %14.2f\n", n, s, c, b/1e6/s, r/1024, s/base }'
done
echo "docket -j2 speed-up over -j1, per round: ${RATIOS[*]}; median $(printf '%s\n' "${RATIOS[@]}" | median)"
echo "docket -j1 over the probe in the same round (1.00 or less meets the probe target), per round: ${PROBE_RATIOS[*]}; median $(printf '%s\n' "${PROBE_RATIOS[@]}" | median)"
for name in "${!PEER_RATIOS[@]}"; do
  echo "$name over docket -j1 in the same round, per round: ${PEER_RATIOS[$name]}"
done | sort
echo "two -j1 processes on the halves over one -j1, per round (the machine's own 2-core scaling): ${CEILINGS[*]}; median $(printf '%s\n' "${CEILINGS[@]}" | median)"

# Start-up: process start to exit, median of 21 runs each.
# Bash's own clock, read without starting a process: `$(date)` around the
# command would add the start-up of a `date` process (about a millisecond)
# to every reading.
ms_median() {
  local times=()
  for _ in $(seq 21); do
    local t0 t1
    t0=${EPOCHREALTIME/[.,]/}; "$@" > /dev/null 2>&1 < /dev/null; t1=${EPOCHREALTIME/[.,]/}
    times+=("$(( t1 - t0 ))")
  done
  printf '%s\n' "${times[@]}" | median | awk '{printf "%.1f", $1/1000}'
}
echo
echo "start-up (median of 21 runs, ms): pack load, no article: $(ms_median "$DOCKET" extract -q --input-format jsonl -)" \
  "; one small article end to end: $(ms_median "$DOCKET" extract -q seeds/constructed-list-style.txt)"
echo
echo "library stages (cargo bench --bench pipeline, in-memory text, 1 run):"
cargo bench --quiet --bench pipeline -- "$CORPUS" 1 2>/dev/null
