#!/usr/bin/env bash
# Packs the agent (Quarkus fast-jar) + a jlink-ed Temurin 25 runtime into .gpu-burnin/kiln.tar.xz (ignored; carry
# it with the device `run` tool), for tools/gpu/burnin-job.sh on a lent GPU machine:
#   tar -C /tmp -xJf .gpu-burnin/kiln.tar.xz && bash tools/gpu/burnin-job.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
JDK=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
grep -qx '/.gpu-burnin/' .git/info/exclude 2>/dev/null || echo '/.gpu-burnin/' >> .git/info/exclude
[ "${SKIP_BUILD:-}" = 1 ] || flock /tmp/kiln-build.lock env JAVA_HOME="$JDK" ./mvnw -B -o -q -DskipTests package
stage=$(mktemp -d)
mkdir -p "$stage/kiln"
cp -r agent/target/quarkus-app "$stage/kiln/agent"
"$JDK/bin/jlink" --add-modules java.base,java.logging,java.naming,java.management,jdk.unsupported,jdk.zipfs,java.sql,java.xml \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$stage/kiln/jre"
rm -rf .gpu-burnin && mkdir -p .gpu-burnin
tar -C "$stage" -cJf .gpu-burnin/kiln.tar.xz kiln
rm -rf "$stage"
ls -la .gpu-burnin
