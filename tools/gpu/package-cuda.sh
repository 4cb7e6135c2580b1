#!/usr/bin/env bash
# Packs the CUDA burn-in smoke runner for a lent GPU machine: nvml-bindings jar + JNA + a jlink-ed Temurin 25
# runtime into .gpu-cuda/kiln-cuda.tar.xz (ignored; carry it with the device `run` tool), then:
#   tar -C /tmp -xJf .gpu-cuda/kiln-cuda.tar.xz && bash tools/gpu/burnin-cuda.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
JDK=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
grep -qx '/.gpu-cuda/' .git/info/exclude 2>/dev/null || echo '/.gpu-cuda/' >> .git/info/exclude
flock /tmp/kiln-build.lock env JAVA_HOME="$JDK" ./mvnw -B -o -q -pl nvml-bindings package -DskipTests
stage=$(mktemp -d)
mkdir -p "$stage/kiln-cuda/lib"
cp nvml-bindings/target/kiln-nvml-bindings-*.jar "$stage/kiln-cuda/lib/kiln-nvml-bindings.jar"
cp "$(ls ~/.m2/repository/net/java/dev/jna/jna-jpms/*/jna-jpms-*.jar | grep -v sources | tail -1)" "$stage/kiln-cuda/lib/"
"$JDK/bin/jlink" --add-modules java.base,java.logging,java.naming,java.management,jdk.unsupported,jdk.zipfs,java.sql,java.xml \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$stage/kiln-cuda/jre"
rm -rf .gpu-cuda && mkdir -p .gpu-cuda
tar -C "$stage" -cJf .gpu-cuda/kiln-cuda.tar.xz kiln-cuda
rm -rf "$stage"
ls -la .gpu-cuda
