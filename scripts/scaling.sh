#!/usr/bin/env bash
# Scaling benchmark: how docket's cost grows with input size and with the
# size of its rule pack (issue 6, target 5).
#
#   scripts/scaling.sh [RUNS]        (default: 3 runs each, medians)
#
# 1. docket -j1 on 1, 4, 16 and 64 MB of real articles (built with
#    ../shared/corpus/make_bulk.py --real under $BENCH_DIR, default
#    /tmp/docket-bench): seconds, milliseconds per MB and MB/s. Linear cost
#    means a constant start-up plus a constant time per MB.
# 2. docket -j1 on 16 MB with a copy of the default pack as it is, and with
#    every lexicon doubled (each phrase gets a twin that never occurs in
#    news text, "zq" + phrase, so the records must not change): the time
#    ratio, and whether the outputs are identical. Sub-linear cost in rules
#    means doubling the lexicons costs well under twice the time.
# Needs ../shared, python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
SHARED="$(cd .. && pwd)/shared"
BENCH_DIR="${BENCH_DIR:-/tmp/docket-bench}"
[ -f "$SHARED/corpus/make_bulk.py" ] || { echo "scaling: ../shared is missing" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
cargo build --release --quiet
DOCKET="$PWD/target/release/docket"

corpus() {
  local dir="$BENCH_DIR/real$1"
  [ -d "$dir" ] || python3 "$SHARED/corpus/make_bulk.py" --real --out "$dir" --mb "$1" >&2
  echo "$dir"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Median wall seconds of RUNS runs of "$@" (output discarded), the last
# argument being the corpus. Each run starts with the corpus and the binary
# just read, as in scripts/bench.sh: a VM may page out files left idle.
wall() {
  for _ in $(seq "$RUNS"); do
    find "${@: -1}" -name '*.txt' -exec cat {} + > /dev/null
    cat "$DOCKET" > /dev/null
    /usr/bin/time -f '%e' "$@" 2>&1 >/dev/null | tail -1
  done | median
}

echo "input size (docket -j1, median of $RUNS runs; the last column is the"
echo "cost of each MB over the previous size's: constant when cost is linear)"
printf '%-8s %10s %10s %10s %14s\n' "MB" "wall s" "ms per MB" "MB/s" "ms per added MB"
previous_bytes=0
previous_s=0
for mb in 1 4 16 64; do
  dir=$(corpus "$mb")
  bytes=$(find "$dir" -name '*.txt' -printf '%s\n' | awk '{s+=$1} END {print s}')
  s=$(wall "$DOCKET" extract -q -j1 "$dir")
  awk -v b="$bytes" -v s="$s" -v pb="$previous_bytes" -v ps="$previous_s" 'BEGIN {
    added = (pb > 0) ? sprintf("%.1f", (s - ps) * 1000 / ((b - pb) / 1e6)) : "-"
    printf "%-8.1f %10.2f %10.1f %10.2f %14s\n", b/1e6, s, s*1000/(b/1e6), (b/1e6)/s, added
  }'
  previous_bytes=$bytes
  previous_s=$s
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r rules "$WORK/as-is"
cp -r rules "$WORK/doubled"
python3 - "$WORK/doubled/lexicons" <<'PY'
import pathlib, sys
for path in pathlib.Path(sys.argv[1]).glob("*.tsv"):
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if line.startswith("#") or not line.strip() or len(cells) < 2:
            lines.append(line)
            continue
        phrases = [c for c in cells[1:] if c.strip()]
        lines.append("\t".join(cells[:1] + phrases + ["zq" + p.strip() for p in phrases]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
PY
phrases() { cat "$1"/lexicons/*.tsv | grep -v '^#' | awk -F'\t' '{n += NF - 1} END {print n}'; }
dir=$(corpus 16)
echo
echo "rule pack size (docket -j1 on $dir, median of $RUNS runs; packs loaded with --rules)"
as_is=$(wall "$DOCKET" extract -q -j1 --rules "$WORK/as-is" "$dir")
doubled=$(wall "$DOCKET" extract -q -j1 --rules "$WORK/doubled" "$dir")
printf '%-22s %10s %10s\n' "pack" "phrases" "wall s"
printf '%-22s %10s %10.2f\n' "as is" "$(phrases "$WORK/as-is")" "$as_is"
printf '%-22s %10s %10.2f\n' "lexicons doubled" "$(phrases "$WORK/doubled")" "$doubled"
awk -v a="$as_is" -v d="$doubled" 'BEGIN {printf "doubled / as is: %.2f (1.00 = rules cost nothing; 2.00 = linear in lexicon size)\n", d/a}'
if cmp -s <("$DOCKET" extract -q -j1 --rules "$WORK/as-is" "$dir") \
          <("$DOCKET" extract -q -j1 --rules "$WORK/doubled" "$dir"); then
  echo "outputs: identical"
else
  echo "outputs: DIFFER (a doubled phrase occurs in the corpus?)"
fi
