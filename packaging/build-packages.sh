#!/usr/bin/env bash
# build-packages.sh: the kiln-agent and kiln (CLI) packages, each with a Java runtime made by jlink inside:
#   kiln-agent_<version>_<arch>.deb   kiln-agent-<version>-linux-<arch>.tar.gz
#   kiln_<version>_<arch>.deb         kiln-<version>-linux-<arch>.tar.gz
# 'mvn package' runs it from packaging/pom.xml (phase package, after agent and cli); by hand:
#   packaging/build-packages.sh --jdk /usr/lib/jvm/temurin-25-jdk-amd64 --version 0.1.0-SNAPSHOT
# Inputs: agent/target/quarkus-app and cli/target/kiln.jar (build them first). No network.
# Runtimes are kept in <out>/runtime-{agent,cli} and reused while the JDK and the module list are unchanged.
# Without dpkg-deb only the tarballs are made (and it says so). Layout and reasons: docs/packaging.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(dirname "$here")

jdk=${JAVA_HOME:-}
version=
out=$here/target
agent_app=$repo/agent/target/quarkus-app
cli_jar=$repo/cli/target/kiln.jar
cli_man=$repo/cli/target/man/man1
maintainer="Kiln developers <packages@kiln.dev>"
deb_revision=1

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    echo "Options: --jdk DIR --version V --out DIR --agent-app DIR --cli-jar FILE --cli-man DIR --maintainer 'Name <mail>'"
}
while [ $# -gt 0 ]; do
    case $1 in
        --jdk) jdk=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --agent-app) agent_app=$2; shift 2 ;;
        --cli-jar) cli_jar=$2; shift 2 ;;
        --cli-man) cli_man=$2; shift 2 ;;
        --maintainer) maintainer=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "build-packages: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "build-packages: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
mib() { du -sm "$1" | cut -f1; }

# The packages are Linux ones, built with GNU tools (tar --sort, cp -al, date -d) from a Linux JDK.
if [ "$(uname -s)" != Linux ]; then
    echo "build-packages: SKIPPED: Kiln's packages are built on Linux (this is $(uname -s))" >&2
    exit 0
fi
[ -n "$version" ] || die "--version is required (the Maven project version, e.g. 0.1.0-SNAPSHOT)"
[ -n "$jdk" ] && [ -x "$jdk/bin/jlink" ] || die "no jlink: give --jdk DIR (a JDK 21 or newer), or set JAVA_HOME"
[ -f "$agent_app/quarkus-run.jar" ] || die "$agent_app/quarkus-run.jar is missing; build the agent first (mvn package -pl packaging -am)"
[ -f "$cli_jar" ] || die "$cli_jar is missing; build the CLI first (mvn package -pl packaging -am)"

java_version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)"/\1/p' "$jdk/release")
java_runtime=$(sed -n 's/^JAVA_RUNTIME_VERSION="\([^"]*\)"/\1/p' "$jdk/release")
implementor=$(sed -n 's/^IMPLEMENTOR_VERSION="\([^"]*\)"/\1/p' "$jdk/release")
java_major=${java_version%%.*}
[ "$java_major" -ge 21 ] 2>/dev/null || die "$jdk is Java $java_version; Kiln's bytecode needs 21 or newer"
[ "$(sed -n 's/^OS_NAME="\([^"]*\)"/\1/p' "$jdk/release")" = Linux ] || die "$jdk is not a Linux JDK"
case $(sed -n 's/^OS_ARCH="\([^"]*\)"/\1/p' "$jdk/release") in
    x86_64|amd64) arch=amd64; tar_arch=x64 ;;
    aarch64|arm64) arch=arm64; tar_arch=aarch64 ;;
    *) die "unsupported JDK architecture in $jdk/release" ;;
esac

# 0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT-1: '~' sorts a snapshot before its release.
deb_version=${version//-/\~}-$deb_revision
# Dates from the last commit when there is one, so rebuilding a commit gives the same metadata.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || true)
first_year=$(git -C "$repo" log --reverse --format=%cd --date=format:%Y 2>/dev/null | head -n 1 || true)
years=$(date -u -d "@$epoch" +%Y)
[ -z "$first_year" ] || [ "$first_year" = "$years" ] || years=$first_year-$years

# Modules (jdeps --print-module-deps over the jars, then trimmed by running the packaged commands; see
# docs/packaging.md): java.desktop (java.beans in Jackson/SnakeYAML, AWT in JNA) and java.compiler (Vert.x
# codegen) are referenced but never loaded. jdk.zipfs: Quarkus opens jars through it (jdeps cannot see that).
# jdk.naming.dns: Netty's DNS resolver reads name servers through JNDI.
common=java.base,java.logging,java.management,java.naming,jdk.naming.dns,jdk.unsupported,jdk.zipfs
# EC crypto moved into java.base in JDK 22; older JDKs need the module for TLS.
[ "$java_major" -ge 22 ] || common=$common,jdk.crypto.ec
agent_modules=$common
# The CLI's results database: JDBC (SQLite, PostgreSQL) and PostgreSQL's Kerberos (GSS) authentication.
cli_modules=$common,java.sql,java.security.jgss
# Uncompressed modules plus the default CDS archives, as a stock JDK ships them: 'kiln --version' starts ~25%
# faster than from a zip-6 image without CDS, for +3 MiB of .deb (gzip compresses the image better than jlink's
# per-resource zip; docs/packaging.md). The CDS archives cost a few seconds of jlink each (they run a JVM).
jlink_opts=(--strip-debug --no-header-files --no-man-pages --compress=zip-0 --generate-cds-archive)

t_all=$(now)
mkdir -p "$out"
echo "build-packages: Kiln $version ($deb_version, $arch), runtime from $implementor ($jdk)"

# One runtime per package, reused while the stamp (JDK, modules, options) matches.
runtime() {
    local name=$1 modules=$2 dir=$out/runtime-$1 t
    local stamp="$java_runtime|$implementor|$modules|${jlink_opts[*]}|strip"
    if [ -f "$dir/.kiln-stamp" ] && [ "$(cat "$dir/.kiln-stamp")" = "$stamp" ]; then
        echo "  runtime-$name: reused ($(mib "$dir") MiB)"
        return
    fi
    t=$(now)
    rm -rf "$dir"
    "$jdk/bin/jlink" --add-modules "$modules" "${jlink_opts[@]}" --output "$dir" > /dev/null
    # The JDK's native code keeps its symbol tables; the dynamic symbols are all a JVM needs to run.
    if command -v strip >/dev/null 2>&1; then
        find "$dir" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \) \
            -exec strip --strip-unneeded --remove-section=.comment {} +
    fi
    # jlink makes the legal notices read-only (0444); packages want 0644.
    chmod -R u+w,go-w "$dir"
    printf '%s\n' "$stamp" > "$dir/.kiln-stamp"
    echo "  runtime-$name: $(mib "$dir") MiB in $(secs "$t") s ($modules)"
}
# Both at once: jlink is mostly single-threaded.
runtime agent "$agent_modules" & agent_pid=$!
runtime cli "$cli_modules" || die "jlink failed for the CLI runtime"
wait "$agent_pid" || die "jlink failed for the agent runtime"

glibc=$(for f in "$out"/runtime-agent/bin/java "$out"/runtime-agent/lib/*.so "$out"/runtime-agent/lib/server/*.so; do
            objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' || true
        done | sed 's/GLIBC_//' | sort -Vu | tail -n 1)
libc_dep="libc6 (>= ${glibc:-2.17})"

# fill FILE KEY=VALUE...: replaces @KEY@ in FILE.
fill() {
    local file=$1 kv key value
    shift
    for kv in "$@"; do
        key=${kv%%=*}
        value=${kv#*=}
        value=${value//\\/\\\\}
        value=${value//&/\\&}
        value=${value//|/\\|}
        sed -i "s|@$key@|$value|g" "$file"
    done
}

# link SRC DST: a hard-linked copy (instant, and it keeps the mtimes) or, across file systems, a copy.
link() {
    mkdir -p "$(dirname "$2")"
    cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }
}

# stage_common PACKAGE HOME RUNTIME COMMAND LIBS LIBS_WHAT: the common part of a package tree in $out/stage/PACKAGE
# (hard links to the runtime, so staging costs no copy).
stage_common() {
    local pkg=$1 home=$2 runtime=$3 command=$4 libs=$5 libs_what=$6 root=$out/stage/$1
    rm -rf "$root"
    mkdir -p "$root/DEBIAN" "$root$home/bin" "$root/usr/bin" "$root/usr/share/doc/$pkg" "$root/usr/share/lintian/overrides"
    link "$out/runtime-$runtime" "$root$home/runtime"
    rm -f "$root$home/runtime/.kiln-stamp"
    install -m 0755 "$here/launchers/$command" "$root$home/bin/$command"
    ln -s "$home/bin/$command" "$root/usr/bin/$command"
    install -m 0644 "$here/debian/copyright.in" "$root/usr/share/doc/$pkg/copyright"
    fill "$root/usr/share/doc/$pkg/copyright" PACKAGE="$pkg" UPSTREAM_VERSION="$version" HOME="$home" YEARS="$years" \
        JAVA_VERSION="$implementor" LIBS="$libs" LIBS_WHAT="$libs_what"
    install -m 0644 "$here/debian/changelog.in" "$out/stage/changelog.$pkg"
    fill "$out/stage/changelog.$pkg" PACKAGE="$pkg" VERSION="$deb_version" UPSTREAM_VERSION="$version" \
        GIT="${commit:+ (commit $commit)}" MAINTAINER="$maintainer" DATE="$(date -u -R -d "@$epoch")"
    gzip -9n < "$out/stage/changelog.$pkg" > "$root/usr/share/doc/$pkg/changelog.Debian.gz"
    chmod 0644 "$root/usr/share/doc/$pkg/changelog.Debian.gz"
    install -m 0644 "$here/debian/$pkg/lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"
}

# control PACKAGE DEPENDS: DEBIAN/ of a staged tree.
control() {
    local pkg=$1 depends=$2 root=$out/stage/$1 f
    install -m 0644 "$here/debian/$pkg/control" "$root/DEBIAN/control"
    fill "$root/DEBIAN/control" VERSION="$deb_version" ARCH="$arch" MAINTAINER="$maintainer" \
        INSTALLED_SIZE="$(du -sk --exclude=DEBIAN "$root" | cut -f1)" DEPENDS="$depends"
    for f in conffiles; do
        [ -f "$here/debian/$pkg/$f" ] && install -m 0644 "$here/debian/$pkg/$f" "$root/DEBIAN/$f"
    done
    for f in postinst prerm postrm; do
        [ -f "$here/debian/$pkg/$f" ] && install -m 0755 "$here/debian/$pkg/$f" "$root/DEBIAN/$f"
    done
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
        | xargs -0 md5sum > DEBIAN/md5sums)
    chmod 0644 "$root/DEBIAN/md5sums"
    find "$root" -type d -exec chmod 0755 {} +
    chmod -R go-w "$root"
}

# deb PACKAGE: builds <out>/PACKAGE_VERSION_ARCH.deb from the staged tree, if dpkg-deb is here.
deb() {
    local pkg=$1 file=$out/${1}_${deb_version}_$arch.deb t
    if ! command -v dpkg-deb >/dev/null 2>&1; then
        echo "  $pkg .deb: SKIPPED, dpkg-deb is not installed (apt-get install dpkg)" >&2
        return
    fi
    t=$(now)
    # gzip, as the tarballs: every dpkg reads it, and it is several times faster than xz.
    SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zgzip -z6 --build "$out/stage/$pkg" "$file" >/dev/null
    echo "  $(basename "$file"): $(du -m "$file" | cut -f1) MiB (installed $(mib "$out/stage/$pkg") MiB) in $(secs "$t") s"
}

# tar_stage PACKAGE HOME DIRNAME EXTRA...: $out/stage/tar/DIRNAME, the package's HOME plus EXTRA files (src:dest).
# Done before dpkg-deb reads the tree: a new hard link changes a file's ctime, which tar reports as a change.
tar_stage() {
    local pkg=$1 home=$2 dir=$out/stage/tar/$3 spec
    shift 3
    rm -rf "$dir"
    link "$out/stage/$pkg$home" "$dir"
    for spec in "$@"; do
        mkdir -p "$(dirname "$dir/${spec#*:}")"
        cp -a "${spec%%:*}" "$dir/${spec#*:}"
    done
}

# stage_man PACKAGE GLOB...: the man pages the CLI build made (cli/target/man/man1, the agent's too) matching a GLOB,
# gzipped into the package's /usr/share/man/man1 and listed in man_pages for its tarball's man/man1.
stage_man() {
    local pkg=$1 glob page
    shift
    for glob in "$@"; do
        for page in "$cli_man"/$glob; do
            [ -f "$page" ] || continue
            mkdir -p "$out/stage/$pkg/usr/share/man/man1"
            gzip -9n < "$page" > "$out/stage/$pkg/usr/share/man/man1/$(basename "$page").gz"
            chmod 0644 "$out/stage/$pkg/usr/share/man/man1/$(basename "$page").gz"
            man_pages+=("$page:man/man1/$(basename "$page")")
        done
    done
    [ ${#man_pages[@]} -gt 0 ] || echo "  $pkg: no man pages in $cli_man (the CLI build makes them)"
}

# tar_pack DIRNAME: <out>/DIRNAME.tar.gz.
tar_pack() {
    local file=$out/$1.tar.gz t
    t=$(now)
    tar --sort=name --owner=0 --group=0 --numeric-owner -C "$out/stage/tar" -cf - "$1" | gzip -6n > "$file"
    echo "  $(basename "$file"): $(du -m "$file" | cut -f1) MiB in $(secs "$t") s"
}

# archives PACKAGE TARNAME: the .deb and the tarball at once (each is one single-threaded gzip stream).
archives() {
    local pid
    deb "$1" & pid=$!
    tar_pack "$2"
    wait "$pid" || die "dpkg-deb failed for $1"
}

# kiln-agent: /opt/kiln/agent/{bin,quarkus-app,runtime}, the unit, /etc/kiln/agent.conf.
home=/opt/kiln/agent
stage_common kiln-agent "$home" agent kiln-agent "$home/quarkus-app/lib" \
    "Quarkus, Vert.x, Netty, Jackson, JNA, OSHI, picocli, SnakeYAML and their dependencies, listed in $home/quarkus-app/quarkus-app-dependencies.txt"
root=$out/stage/kiln-agent
link "$agent_app" "$root$home/quarkus-app"
install -D -m 0644 "$here/systemd/kiln-agent.service" "$root/lib/systemd/system/kiln-agent.service"
install -D -m 0644 "$here/systemd/kiln-agent.tmpfiles" "$root/usr/lib/tmpfiles.d/kiln-agent.conf"
install -D -m 0644 "$here/etc/agent.conf" "$root/etc/kiln/agent.conf"
install -m 0644 "$repo/docs/packaging.md" "$root/usr/share/doc/kiln-agent/README.md"
man_pages=()
stage_man kiln-agent 'kiln-agent*.1'
control kiln-agent "$libc_dep, libsystemd0"
tar_stage kiln-agent "$home" "kiln-agent-$version-linux-$tar_arch" \
    "$here/systemd/kiln-agent.service:systemd/kiln-agent.service" \
    "$here/systemd/kiln-agent.tmpfiles:systemd/kiln-agent.tmpfiles" "$here/etc/agent.conf:etc/agent.conf" \
    "$repo/docs/packaging.md:README.md" ${man_pages[@]+"${man_pages[@]}"}
archives kiln-agent "kiln-agent-$version-linux-$tar_arch"

# kiln: /opt/kiln/cli/{bin,lib,runtime}, /usr/bin/kiln.
home=/opt/kiln/cli
stage_common kiln "$home" cli kiln "$home/lib/kiln.jar" \
    "Vert.x, Netty, Jackson, picocli, SnakeYAML, sqlite-jdbc, the PostgreSQL JDBC driver, Flyway, JNA and their dependencies, shaded into one jar"
root=$out/stage/kiln
link "$cli_jar" "$root$home/lib/kiln.jar"
man_pages=()
stage_man kiln 'kiln.1' 'kiln-[!a]*.1' 'kiln-a[!g]*.1'
control kiln "$libc_dep"
tar_stage kiln "$home" "kiln-$version-linux-$tar_arch" "$repo/docs/packaging.md:README.md" ${man_pages[@]+"${man_pages[@]}"}
archives kiln "kiln-$version-linux-$tar_arch"

echo "build-packages: done in $(secs "$t_all") s; packages in $out"
