#!/usr/bin/env bash
# Renders a kiln HTML report in headless Chromium and checks that it rendered: the file is well-formed (Kiln
# writes XML-compatible HTML), the DOM has every section, the browser logged no console message (the report
# has no script, so any message is a blocked load, a CSP violation or an error), a screenshot and a PDF were
# made.
#
#   tools/report/render-check.sh [--out DIR] [REPORT.html]
#
# Without REPORT.html it makes the synthetic 200-node report (dev.kiln.cli.report.SyntheticReport) from
# cli/target/kiln.jar, or from the classpath in $KILN_REPORT_CP. Writes into DIR (default
# cli/target/report-check): dom.html, screenshot.png, report.pdf, chromium-*.log.
# Exit: 0 rendered, 1 a check failed, 2 usage, 77 no Chromium (skip).
# Chromium: $CHROMIUM, else chromium, chromium-browser, google-chrome on PATH (Debian: apt-get install chromium).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/cli/target/report-check"
report=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "render-check: unknown option $1" >&2; exit 2 ;;
    *) report="$1"; shift ;;
  esac
done

browser="${CHROMIUM:-}"
if [ -z "$browser" ]; then
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
  done
fi
if [ -z "$browser" ]; then
  echo "render-check: SKIP: no Chromium (set CHROMIUM, or apt-get install chromium)" >&2
  exit 77
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [ -z "$report" ]; then
  java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  cp="${KILN_REPORT_CP:-$root/cli/target/kiln.jar}"
  if [ -z "${KILN_REPORT_CP:-}" ] && [ ! -f "$cp" ]; then
    echo "render-check: no report given and no $cp: build it (./mvnw -pl cli package) or pass REPORT.html" >&2
    exit 2
  fi
  "$java" -cp "$cp" dev.kiln.cli.report.SyntheticReport "$out" 200 >/dev/null
  report="$out/report.html"
fi
[ -f "$report" ] || { echo "render-check: no such file: $report" >&2; exit 2; }
report="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"

fail=0
problem() { echo "render-check: FAIL: $*" >&2; fail=1; }

# Kiln writes the HTML as well-formed XML, so a parser catches what a browser would silently repair
# (an unclosed element moving the rest of the page inside it).
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout --nonet "$report" 2>"$out/xml-check.log" || problem "not well-formed: $(head -3 "$out/xml-check.log")"
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import sys, xml.parsers.expat as e; p = e.ParserCreate(); p.ParseFile(open(sys.argv[1], "rb"))' \
    "$report" 2>"$out/xml-check.log" || problem "not well-formed: $(tail -1 "$out/xml-check.log")"
else
  echo "render-check: no xmllint or python3: well-formedness not checked" >&2
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# No network at all: every host resolves to nothing, background services off.
flags=(--headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check
       --disable-background-networking --disable-component-update --disable-sync --disable-extensions
       --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile"
       --enable-logging=stderr --v=0 --virtual-time-budget=5000)
url="file://$report"

start=$(date +%s)
if ! timeout 240 "$browser" "${flags[@]}" --dump-dom "$url" >"$out/dom.html" 2>"$out/chromium-dom.log"; then
  problem "chromium --dump-dom exited non-zero (see $out/chromium-dom.log)"
fi
if ! timeout 240 "$browser" "${flags[@]}" --window-size=1400,2400 --hide-scrollbars \
    --screenshot="$out/screenshot.png" "$url" >/dev/null 2>"$out/chromium-screenshot.log"; then
  problem "chromium --screenshot exited non-zero (see $out/chromium-screenshot.log)"
fi
if ! timeout 240 "$browser" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$out/report.pdf" "$url" \
    >/dev/null 2>"$out/chromium-pdf.log"; then
  problem "chromium --print-to-pdf exited non-zero (see $out/chromium-pdf.log)"
fi
secs=$(( $(date +%s) - start ))

# The DOM as Chromium built it: every section, as many nodes and charts as the file has, nothing dropped.
for id in summary critical-path rma racks attention nodes; do
  grep -q "id=\"$id\"" "$out/dom.html" || problem "section #$id missing from the rendered DOM"
done
count() { grep -o "$1" "$2" | wc -l; }
for what in '<details class="node"' '<svg class="chart temperature"' '<svg class="chart power"' \
            '<svg class="heatmap"' '<svg class="timeline"'; do
  want=$(count "$what" "$report")
  got=$(count "$what" "$out/dom.html")
  [ "$want" = "$got" ] || problem "$what: $want in the file, $got in the rendered DOM"
done
[ "$(count '<details class="node"' "$out/dom.html")" -gt 0 ] || problem "no node sections rendered"
grep -qi '<script' "$out/dom.html" && problem "the rendered DOM has a script element"

# Console: any message at all is a problem (no script runs; CSP violations and failed loads land here).
if grep -h 'CONSOLE' "$out"/chromium-*.log >"$out/console.txt"; then
  problem "browser console messages:"; sed 's/^/  /' "$out/console.txt" | head -20 >&2
fi
if grep -hE 'FATAL|Renderer process crashed|Aw, Snap' "$out"/chromium-*.log >&2; then
  problem "the renderer crashed"
fi

# Screenshot and PDF exist and are what they say.
if [ ! -s "$out/screenshot.png" ] || [ "$(head -c 4 "$out/screenshot.png" | tail -c 3)" != "PNG" ]; then
  problem "no PNG screenshot"
elif [ "$(stat -c %s "$out/screenshot.png")" -lt 20000 ]; then
  problem "screenshot is suspiciously small ($(stat -c %s "$out/screenshot.png") bytes): a blank page?"
fi
if [ ! -s "$out/report.pdf" ] || [ "$(head -c 4 "$out/report.pdf")" != "%PDF" ]; then
  problem "no PDF"
fi

size=$(stat -c %s "$report")
if [ "$fail" -ne 0 ]; then
  echo "render-check: $report did NOT render cleanly ($(basename "$browser"), ${secs}s)" >&2
  exit 1
fi
echo "render-check: OK: $report ($size bytes) rendered by $("$browser" --version 2>/dev/null | head -1) in ${secs}s"
echo "render-check: DOM $out/dom.html, screenshot $out/screenshot.png, PDF $out/report.pdf"
