#!/usr/bin/env bash
# Renders one article page of `docket report` to a PNG with headless Chromium,
# so the report can be looked at without a desktop browser.
#
#   scripts/report-screenshot.sh [ARTICLE] [OUT.png] [ANCHOR]
#
# ARTICLE defaults to the seed article, OUT.png to report-screenshot.png.
# ANCHOR (e.g. c120, a highlight's id) shows that highlight's label as
# hovering would (headless Chromium cannot hover, and screenshots of a page
# scrolled to a #fragment come out blank). HEIGHT sets the window height
# (default 900; larger shows more of a long article). The binary is $DOCKET
# if set, else `cargo run --release`. Needs Debian's `chromium`.
set -euo pipefail

article=${1:-seeds/ice-declined-detainer-report.txt}
out=${2:-report-screenshot.png}
anchor=${3:-}

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "report-screenshot: skipped: chromium is not installed (apt-get install chromium)" >&2
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${DOCKET:-}" ]; then
    "$DOCKET" report -o "$work/report" "$article"
else
    cargo run --quiet --release -- report -o "$work/report" "$article"
fi

page=$(find "$work/report" -name '*.html' ! -name index.html | sort | head -n 1)
if [ -n "$anchor" ]; then
    sed -i "s|</head>|<style>#$anchor > .tip { display: block; }</style></head>|" "$page"
fi
url="file://$page"

"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$work/profile" --hide-scrollbars \
    --window-size=1366,${HEIGHT:-900} --screenshot="$(realpath -m "$out")" "$url" 2>"$work/chromium.log" || {
    cat "$work/chromium.log" >&2
    exit 1
}
echo "report-screenshot: wrote $out ($url)"
