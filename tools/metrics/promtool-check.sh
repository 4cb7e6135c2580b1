#!/usr/bin/env bash
# Scrapes one kiln-agent's GET /metrics and checks it with Prometheus's promtool, judged as PromtoolCheckTest does:
# no parse error; on DCGM_FI_* families only dcgm-exporter's own naming remarks (counter without _total, the
# camelCase label modelName, 'counter' in a name); kiln_* families lint-clean. See docs/metrics.md.
#
#   tools/metrics/promtool-check.sh http://gpu-r01-n01:9478 /etc/kiln/agent.token
#   tools/metrics/promtool-check.sh FILE.prom            # a saved scrape
set -euo pipefail
command -v promtool >/dev/null || { echo "promtool not found (Debian: apt-get install prometheus)" >&2; exit 2; }
src=${1:?usage: $0 URL TOKEN_FILE | FILE.prom}
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
if [[ -f $src ]]; then
    cp "$src" "$tmp"
else
    token_file=${2:?usage: $0 URL TOKEN_FILE}
    # The token goes in a header read from a file descriptor, never on the command line (ps would show it).
    curl -fsS --max-time 30 -H @<(printf 'Authorization: Bearer %s\n' "$(head -n1 "$token_file")") \
        "${src%/}/metrics" > "$tmp"
fi
echo "$(grep -vc '^#' "$tmp") samples in $(grep -c '^# TYPE' "$tmp") families"
set +e
remarks=$(promtool check metrics < "$tmp" 2>&1); rc=$?
kiln=$(grep -E '^(# (HELP|TYPE) )?kiln_' "$tmp" | promtool check metrics 2>&1); kiln_rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 3 ]]; then echo "promtool: exit $rc: $remarks" >&2; exit 1; fi
other=$(grep -vE "^DCGM_FI_[A-Z_]+ (counter metrics should have \"_total\" suffix|label names should be written in 'snake_case' not 'camelCase'|metric name should not include type 'counter')$" <<<"$remarks" | grep -v '^$' || true)
if [[ -n $other ]]; then echo "promtool remarks beyond dcgm-exporter's naming:" >&2; echo "$other" >&2; exit 1; fi
if [[ $kiln_rc -ne 0 || -n $kiln ]]; then echo "kiln_* metrics not lint-clean (exit $kiln_rc):" >&2; echo "$kiln" >&2; exit 1; fi
echo "promtool: OK ($(grep -c . <<<"$remarks" || true) dcgm-exporter naming remarks on DCGM_FI_* families, kiln_* clean)"
