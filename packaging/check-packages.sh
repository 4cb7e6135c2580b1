#!/usr/bin/env bash
# check-packages.sh: the figures of docs/packaging.md, reproducible: lintian on both .debs, then
# 'systemd-analyze verify' and 'systemd-analyze security' on kiln-agent.service as the .deb installs it.
#
#   packaging/check-packages.sh [--install-tools] [--no-lintian] [DIR]    DIR: the packages (packaging/target)
#
# --install-tools  apt-get installs lintian and systemd when they are missing (Debian/Ubuntu, as root).
# --no-lintian     only the systemd checks (about a second; lintian takes ~15 s).
# systemd need not run (PID 1 may be anything): verify and 'security --offline=true' (systemd >= 252) read
# unit files. They run against a root made of the unpacked .deb plus the host's own systemd units, so
# ExecStart= is checked against the packaged launcher. Fails when lintian reports an error, verify prints
# anything, or the exposure is above 3.0. Exit 77: nothing to check here (the reason on stderr).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
install_tools=no
lintian=yes
while [ $# -gt 0 ]; do
    case $1 in
        --install-tools) install_tools=yes; shift ;;
        --no-lintian) lintian=no; shift ;;
        -h|--help) sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) echo "check-packages: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
dir=$(cd "${1:-$here/target}" && pwd -P)
max_exposure=3.0

skip() { echo "check-packages: SKIPPED: $*" >&2; exit 77; }
fail() { echo "check-packages: FAILED: $*" >&2; exit 1; }

agent_deb=$(ls "$dir"/kiln-agent_*.deb 2>/dev/null | tail -n 1 || true)
cli_deb=$(ls "$dir"/kiln_*.deb 2>/dev/null | tail -n 1 || true)
[ -n "$agent_deb" ] && [ -n "$cli_deb" ] || skip "no kiln-agent_*.deb and kiln_*.deb in $dir (build: ./mvnw package)"

if [ "$install_tools" = yes ]; then
    missing=()
    [ "$lintian" = no ] || command -v lintian >/dev/null 2>&1 || missing+=(lintian)
    command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "check-packages: apt-get install ${missing[*]}"
        start=$(date +%s)
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        echo "check-packages: installed in $(( $(date +%s) - start )) s"
    fi
fi

status=0
if [ "$lintian" = yes ]; then
    command -v lintian >/dev/null 2>&1 || skip "lintian is not installed (--install-tools, or apt-get install lintian)"
    echo "== lintian $(lintian --version | awk '{print $2}') $(basename "$agent_deb") $(basename "$cli_deb")"
    # Default severity (errors and warnings), plus how many tags the shipped overrides silence, and why.
    out=$(lintian --show-overrides "$agent_deb" "$cli_deb" 2>&1 | grep -v 'running with root privileges' || true)
    printf '%s\n' "$out" | grep -v '^[ON]: ' || true
    for sev in E W O; do
        printf '%s: %s  ' "$sev" "$(printf '%s\n' "$out" | grep -c "^$sev: " || true)"
    done
    echo "(errors, warnings, overridden)"
    echo "overridden, with the reasons in packaging/debian/*/lintian-overrides:"
    printf '%s\n' "$out" | awk '/^O: / { print "  " $2 " " $3 }' | sort | uniq -c
    if printf '%s\n' "$out" | grep -q '^E: '; then
        echo "check-packages: lintian reported errors" >&2
        status=1
    fi
fi

command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze is not installed (--install-tools, or apt-get install systemd)"
version=$(systemd-analyze --version | awk 'NR == 1 { print $2 }')
[ "${version%%.*}" -ge 252 ] 2>/dev/null || skip "systemd $version is older than 252, which has no 'security --offline'"
root=$(mktemp -d /tmp/kiln-check.XXXXXX)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$agent_deb" "$root"
units=$root/lib/systemd/system
for d in /usr/lib/systemd/system /lib/systemd/system; do
    [ -d "$d" ] && cp -an "$d/." "$units/" 2>/dev/null || true
done

echo "== systemd-analyze verify kiln-agent.service (systemd $version)"
verify=$(systemd-analyze verify --root="$root" kiln-agent.service 2>&1) || true
if [ -n "$verify" ]; then
    printf '%s\n' "$verify"
    echo "check-packages: systemd-analyze verify complained" >&2
    status=1
else
    echo "clean: no warnings"
fi

echo "== systemd-analyze security --offline=true kiln-agent.service (items with exposure only)"
threshold=$(awk -v m="$max_exposure" 'BEGIN { printf "%d", m * 10 }')
security=$(SYSTEMD_COLORS=0 systemd-analyze security --offline=true --root="$root" --threshold="$threshold" \
    kiln-agent.service 2>&1) && sec_rc=0 || sec_rc=$?
printf '%s\n' "$security" | grep -E '^(✗|→)' | sed -E 's/  +/  /g'
if [ "$sec_rc" != 0 ]; then
    echo "check-packages: exposure above $max_exposure" >&2
    status=1
fi
[ "$status" = 0 ] && echo "check-packages: PASSED" || echo "check-packages: FAILED" >&2
exit "$status"
