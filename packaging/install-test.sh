#!/usr/bin/env bash
# install-test.sh: installs the kiln-agent and kiln .debs into a throwaway root, runs the installed agent the way
# kiln-agent.service does (as the kiln-agent user, with the installed token, state directory and agent.conf, but
# without systemd, which cannot run here), queries it with curl and the installed 'kiln', then removes (results
# kept) and purges (state gone); last, unpacks both tarballs and runs them. Nothing is left on the host.
#
#   packaging/install-test.sh [--keep] [DIR]    DIR holds the packages (default: packaging/target)
#
# How: dpkg --root=ROOT --force-script-chrootless runs the maintainer scripts on the host with DPKG_ROOT=ROOT,
# and they write only below it (useradd --prefix, no systemctl). The agent runs under setpriv with the uid
# the postinst gave kiln-agent in ROOT/etc/passwd. When python3 is here, a fake NOTIFY_SOCKET checks that
# READY=1 arrives only once /v1 answers (what 'systemctl start' waits for).
# Needs root (dpkg, chown), dpkg, curl, setpriv. Exit 0: passed; 77: skipped (the reason on stderr); else failed.
# 'mvn verify' runs it from PackagesInstallTest; docs/packaging.md has the steps for a real host.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
keep=no
if [ "${1:-}" = --keep ]; then keep=yes; shift; fi
dir=$(cd "${1:-$here/target}" && pwd -P)

skip() { echo "install-test: SKIPPED: $*" >&2; exit 77; }
fail() { echo "install-test: FAILED: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok  %s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg installs root-owned files, postinst chowns the token)"
for tool in dpkg dpkg-deb curl setpriv useradd; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
agent_deb=$(ls "$dir"/kiln-agent_*.deb 2>/dev/null | tail -n 1 || true)
cli_deb=$(ls "$dir"/kiln_*.deb 2>/dev/null | tail -n 1 || true)
[ -n "$agent_deb" ] && [ -n "$cli_deb" ] || skip "no kiln-agent_*.deb and kiln_*.deb in $dir (build: ./mvnw package)"

t_all=$(now)
root=$(mktemp -d /tmp/kiln-install-test.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$keep" = yes ]; then echo "install-test: kept $root"; else rm -rf "$root"; fi
}
trap cleanup EXIT
chmod 0755 "$root"   # the agent runs as kiln-agent and must reach ROOT/opt

# A root with an empty dpkg database and just enough of /etc for useradd: root, and a 'video' group (the
# postinst adds kiln-agent to it when it exists, for drivers that make /dev/nvidia* 0660 root:video).
mkdir -p "$root"/var/lib/dpkg/{info,updates,triggers} "$root"/var/log "$root"/etc "$root"/usr/sbin "$root"/run
: > "$root/var/lib/dpkg/status"
: > "$root/var/lib/dpkg/available"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$root/etc/passwd"
printf 'root:x:0:\nvideo:x:44:\n' > "$root/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$root/etc/shadow"
printf 'root:*::\nvideo:!::\n' > "$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"

dpkg_root=(dpkg --root="$root" --log="$root/var/log/dpkg.log" --force-script-chrootless --force-depends
           --force-not-root)

step "install $(basename "$agent_deb") $(basename "$cli_deb") into $root"
t=$(now)
"${dpkg_root[@]}" -i "$agent_deb" "$cli_deb" > "$root/dpkg-install.log" 2>&1 \
    || { cat "$root/dpkg-install.log"; fail "dpkg -i"; }
ok "dpkg -i in $(secs "$t") s"
status=$(dpkg --root="$root" -s kiln-agent kiln | grep -c '^Status: install ok installed' || true)
[ "$status" = 2 ] || fail "dpkg does not list both packages as installed"
ok "both packages 'install ok installed'"

step "files, user, token, state directory"
for f in opt/kiln/agent/bin/kiln-agent opt/kiln/agent/runtime/bin/java opt/kiln/cli/bin/kiln opt/kiln/cli/runtime/bin/java; do
    [ -x "$root/$f" ] || fail "/$f is not executable"
done
[ -f "$root/opt/kiln/agent/quarkus-app/quarkus-run.jar" ] && [ -f "$root/opt/kiln/cli/lib/kiln.jar" ] || fail "jars missing"
[ "$(readlink "$root/usr/bin/kiln")" = /opt/kiln/cli/bin/kiln ] || fail "/usr/bin/kiln is not a link to /opt/kiln/cli/bin/kiln"
[ "$(readlink "$root/usr/bin/kiln-agent")" = /opt/kiln/agent/bin/kiln-agent ] || fail "/usr/bin/kiln-agent is not a link"
unit=$root/lib/systemd/system/kiln-agent.service
[ -f "$unit" ] || fail "the unit is missing"
[ -f "$root/etc/kiln/agent.conf" ] || fail "/etc/kiln/agent.conf is missing"
grep -qx /etc/kiln/agent.conf "$root/var/lib/dpkg/info/kiln-agent.conffiles" || fail "agent.conf is not a conffile"
ok "/opt/kiln/{agent,cli}/{bin,runtime}, /usr/bin/kiln, /usr/bin/kiln-agent, the unit, agent.conf (conffile)"
pw=$(grep '^kiln-agent:' "$root/etc/passwd") || fail "postinst made no kiln-agent user"
IFS=: read -r _ _ uid gid _ home shell <<< "$pw"
[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "kiln-agent is not a system user (uid $uid)"
[ "$home" = /var/lib/kiln-agent ] && [ "$shell" = /usr/sbin/nologin ] || fail "kiln-agent: home $home, shell $shell"
grep -q "^kiln-agent:x:$gid:" "$root/etc/group" || fail "no kiln-agent group"
grep -q '^video:x:44:kiln-agent$' "$root/etc/group" || fail "kiln-agent was not added to video"
ok "system user kiln-agent (uid $uid, group $gid, also in video), home /var/lib/kiln-agent, no login"
token_file=$root/etc/kiln/agent.token
[ "$(stat -c '%a %u %g' "$token_file")" = "600 $uid $gid" ] || fail "token: $(stat -c '%a %u %g' "$token_file")"
token=$(cat "$token_file")
[ "${#token}" -ge 40 ] || fail "token too short (${#token})"
ok "token /etc/kiln/agent.token: 0600 kiln-agent, ${#token} characters"
[ "$(stat -c '%a %u %g' "$root/var/lib/kiln-agent")" = "750 $uid $gid" ] || fail "state dir: $(stat -c '%a %u %g' "$root/var/lib/kiln-agent")"
ok "state directory /var/lib/kiln-agent: 0750 kiln-agent"
if command -v systemd-tmpfiles >/dev/null 2>&1; then
    # What systemd-tmpfiles does at boot to the root-only DMI serial numbers, on a stand-in below ROOT.
    mkdir -p "$root/sys/class/dmi/id"
    echo TEST-SERIAL > "$root/sys/class/dmi/id/product_serial"
    chmod 0400 "$root/sys/class/dmi/id/product_serial"
    systemd-tmpfiles --create --root="$root" "$root/usr/lib/tmpfiles.d/kiln-agent.conf" \
        || fail "systemd-tmpfiles rejected /usr/lib/tmpfiles.d/kiln-agent.conf"
    [ "$(stat -c '%a %u %g' "$root/sys/class/dmi/id/product_serial")" = "440 0 $gid" ] || fail "tmpfiles: product_serial $(stat -c '%a %u %g' "$root/sys/class/dmi/id/product_serial")"
    ok "tmpfiles.d/kiln-agent.conf: DMI serial numbers 0440 root:kiln-agent"
fi

free_port() {
    local p
    for p in $(shuf -i 20000-39999 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    fail "no free port"
}
# as_agent CMD... &: runs CMD in the background as kiln-agent (the installed uid/gid, no other groups, no new
# privileges), in a clean environment; exec all the way, so $! is the JVM's pid, as systemd's MAINPID would be.
as_agent() {
    exec env -i PATH=/usr/bin:/bin HOME="$root/var/lib/kiln-agent" LANG=C.UTF-8 \
        ${NOTIFY_SOCKET:+"NOTIFY_SOCKET=$NOTIFY_SOCKET"} ${KILN_JAVA_OPTS:+"KILN_JAVA_OPTS=$KILN_JAVA_OPTS"} \
        setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs "$@"
}
get() { curl -sS -o "$root/body" -w '%{http_code}' --max-time 10 "$@"; }
# wait_api PORT PID: until /v1/node answers 200 (or the agent dies).
wait_api() {
    local i
    for i in $(seq 1 300); do
        kill -0 "$2" 2>/dev/null || { cat "$root/agent.log"; fail "the agent exited"; }
        [ "$(get -H "Authorization: Bearer $token" "http://127.0.0.1:$1/v1/node" 2>/dev/null)" = 200 ] && return
        sleep 0.1
    done
    fail "the agent did not answer on port $1 within 30 s"
}
stop_agent() {
    kill -TERM "$1"
    local rc=0
    wait "$1" || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 143 ] || { cat "$root/agent.log"; fail "the agent exited with $rc on SIGTERM"; }
}

step "start the agent as the unit does: $(sed -n 's/^ExecStart=//p' "$unit")"
port=$(free_port)
# The administrator's edit of the conffile, kept on remove below.
sed -i "s|^KILN_AGENT_OPTS=.*|KILN_AGENT_OPTS=\"--host 127.0.0.1 --port $port\"|" "$root/etc/kiln/agent.conf"
# What systemd does: Environment=, then EnvironmentFile=, then ExecStart= with $KILN_AGENT_OPTS split on spaces.
KILN_JAVA_OPTS=$(sed -n 's/^Environment="KILN_JAVA_OPTS=\(.*\)"$/\1/p' "$unit")
# shellcheck disable=SC1091
. "$root/etc/kiln/agent.conf"
read -r -a exec_start <<< "$(sed -n 's/^ExecStart=//p' "$unit")"
argv=()
for a in "${exec_start[@]}"; do
    case $a in
        '$KILN_AGENT_OPTS') read -r -a more <<< "$KILN_AGENT_OPTS"; argv+=("${more[@]}") ;;
        /etc/*|/var/*|/opt/*) argv+=("$root$a") ;;
        *) argv+=("$a") ;;
    esac
done
notify=
if command -v python3 >/dev/null 2>&1 && python3 -c 'import socket' 2>/dev/null; then
    notify=$root/run/notify
    # A fake systemd: take one datagram on an AF_UNIX socket, print it.
    python3 - "$notify" > "$root/notify.out" 2>&1 <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(60)
print(s.recv(4096).decode())
EOF
    notify_pid=$!
    pids+=("$notify_pid")
    for _ in $(seq 1 100); do [ -S "$notify" ] && break; sleep 0.05; done
    [ -S "$notify" ] || fail "the fake NOTIFY_SOCKET did not appear"
fi
t=$(now)
NOTIFY_SOCKET=$notify as_agent "${argv[@]}" > "$root/agent.log" 2>&1 &
agent=$!
pids+=("$agent")
if [ -n "$notify" ]; then
    wait "$notify_pid" || { cat "$root/agent.log"; fail "no READY=1 on NOTIFY_SOCKET within 60 s"; }
    grep -q '^READY=1$' "$root/notify.out" || fail "NOTIFY_SOCKET got: $(cat "$root/notify.out")"
    # The moment READY=1 arrives, the API must answer: no retry.
    code=$(get -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/node")
    [ "$code" = 200 ] || fail "READY=1 came before /v1/node answered (HTTP $code)"
    ok "READY=1 on NOTIFY_SOCKET after $(secs "$t") s ($(grep STATUS= "$root/notify.out")); /v1/node answered at once"
else
    wait_api "$port" "$agent"
    ok "answered after $(secs "$t") s (python3 missing: the NOTIFY_SOCKET check was skipped)"
fi
grep -q '"mode":"real"' "$root/body" || fail "/v1/node: $(cat "$root/body")"
ok "GET /v1/node with the installed token: 200, $(grep -o '"mode":"[a-z]*"' "$root/body"), $(grep -o '"gpuCount":[0-9]*' "$root/body"), $(grep -o '"available":[a-z]*' "$root/body" | head -n 1) (NVML)"
[ "$(get "http://127.0.0.1:$port/v1/node")" = 401 ] || fail "/v1/node without the token did not answer 401"
ok "GET /v1/node without the token: 401"

cat > "$root/fleet.yaml" <<EOF
defaults:
  tokenFile: $token_file
racks:
  - name: rack-01
    nodes:
      - name: installed
        address: 127.0.0.1:$port
EOF
rc=0
"$root/opt/kiln/cli/bin/kiln" status --fleet "$root/fleet.yaml" > "$root/status.out" 2>&1 || rc=$?
grep -q '^installed .* yes .* real' "$root/status.out" || { cat "$root/status.out"; fail "kiln status (rc $rc)"; }
ok "installed kiln status: reachable, real (exit $rc: $(tail -n 1 "$root/status.out"))"
stop_agent "$agent"
ok "stopped with SIGTERM"

step "a simulated node with the same user, token and state directory: kiln status, burn-in"
port=$(free_port)
t=$(now)
as_agent "$root/opt/kiln/agent/bin/kiln-agent" serve --simulate hgx-h100 --host 127.0.0.1 --port "$port" \
    --token-file "$token_file" --state-dir "$root/var/lib/kiln-agent" > "$root/agent.log" 2>&1 &
agent=$!
pids+=("$agent")
wait_api "$port" "$agent"
ok "simulated hgx-h100 answered after $(secs "$t") s"
sed -i "s|127.0.0.1:[0-9]*|127.0.0.1:$port|" "$root/fleet.yaml"
"$root/opt/kiln/cli/bin/kiln" status --fleet "$root/fleet.yaml" > "$root/status.out" 2>&1 || { cat "$root/status.out"; fail "kiln status"; }
grep -q '^installed .* yes .* simulated *8' "$root/status.out" || { cat "$root/status.out"; fail "kiln status output"; }
ok "kiln status: exit 0, 8 GPUs"
t=$(now)
"$root/opt/kiln/cli/bin/kiln" burnin --fleet "$root/fleet.yaml" --duration 2s --tests burnin.memory > "$root/burnin.out" 2>&1 \
    || { cat "$root/burnin.out" "$root/agent.log"; fail "kiln burnin"; }
ok "kiln burnin (worker process on the bundled runtime): $(tail -n 1 "$root/burnin.out") in $(secs "$t") s"
stop_agent "$agent"
jobs=$(find "$root/var/lib/kiln-agent/jobs" -name '*.json' 2>/dev/null | wc -l)
[ "$jobs" -gt 0 ] || fail "no job results in /var/lib/kiln-agent/jobs"
[ -z "$(find "$root/var/lib/kiln-agent" ! -user "$uid")" ] || fail "files in the state directory not owned by kiln-agent"
ok "results kept in /var/lib/kiln-agent/jobs ($jobs files, all owned by kiln-agent)"

step "remove: programs go; token, state, edited agent.conf and the user stay"
"${dpkg_root[@]}" -r kiln-agent kiln > "$root/dpkg-remove.log" 2>&1 || { cat "$root/dpkg-remove.log"; fail "dpkg -r"; }
[ ! -e "$root/opt/kiln" ] && [ ! -e "$root/usr/bin/kiln" ] && [ ! -e "$unit" ] || fail "files left after remove: $(ls -R "$root/opt" 2>&1 | head -n 5)"
[ -f "$token_file" ] && [ -d "$root/var/lib/kiln-agent/jobs" ] || fail "remove deleted the token or the results"
grep -q "127.0.0.1 --port" "$root/etc/kiln/agent.conf" || fail "remove lost the edited agent.conf"
grep -q '^kiln-agent:' "$root/etc/passwd" || fail "remove deleted the user"
ok "/opt/kiln gone; /etc/kiln/agent.token, /etc/kiln/agent.conf (edited), /var/lib/kiln-agent ($jobs job files), user kept"

step "purge: token, configuration and state go; the user stays (Debian practice)"
"${dpkg_root[@]}" -P kiln-agent kiln > "$root/dpkg-purge.log" 2>&1 || { cat "$root/dpkg-purge.log"; fail "dpkg -P"; }
[ ! -e "$token_file" ] && [ ! -e "$root/etc/kiln" ] && [ ! -e "$root/var/lib/kiln-agent" ] \
    || fail "left after purge: $(ls -d "$root"/etc/kiln "$root"/var/lib/kiln-agent 2>/dev/null)"
dpkg --root="$root" -s kiln-agent >/dev/null 2>&1 && fail "dpkg still knows kiln-agent after purge"
ok "/etc/kiln and /var/lib/kiln-agent gone, dpkg forgot both packages"

step "tarballs: unpack anywhere, run with the bundled runtime"
for tgz in "$dir"/kiln-agent-*-linux-*.tar.gz "$dir"/kiln-*-linux-*.tar.gz; do
    [ -f "$tgz" ] || fail "missing tarball $tgz"
done
mkdir -p "$root/tar"
for tgz in "$dir"/kiln-agent-*-linux-*.tar.gz "$dir"/kiln-[0-9]*-linux-*.tar.gz; do
    tar -xzf "$tgz" -C "$root/tar"
done
for launcher in "$root"/tar/kiln-agent-*/bin/kiln-agent "$root"/tar/kiln-[0-9]*/bin/kiln; do
    out=$(env -i PATH=/usr/bin:/bin "$launcher" --version 2>&1) || fail "$launcher --version: $out"
    ok "$(basename "$(dirname "$(dirname "$launcher")")")/bin/$(basename "$launcher") --version: $(echo "$out" | head -n 1)"
done

printf '\ninstall-test: PASSED in %s s\n' "$(secs "$t_all")"
