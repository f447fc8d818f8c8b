#!/usr/bin/env bash
# Makes sure Temporal's time-skipping test server is installed: what the in-process workflow
# tests (TestWorkflowEnvironment.createTimeSkipping) run, a timer of an hour passing in
# milliseconds. The SDK would download a native build of it from temporal.download, which a
# machine with only package registries cannot reach; the same server is published on Maven
# Central (io.temporal:temporal-test-server), so it is fetched with Maven and run on a JVM.
#
# The path of its launcher goes to stdout, alone; everything else to stderr:
#   export TEMPORAL_TEST_SERVER_PATH="$(bash scripts/install-test-server.sh)"
# Exit status: 0 found or installed, 1 not installable here (no Java or Maven), 2 bad usage.
set -euo pipefail

readonly VERSION='1.38.0'
readonly DIR="${XDG_CACHE_HOME:-$HOME/.cache}/agentic-batch/temporal-test-server-$VERSION"
readonly LAUNCHER="$DIR/temporal-test-server"

say() { printf '%s\n' "$*" >&2; }

if [[ $# -gt 0 ]]; then
  case "$1" in
    -h | --help)
      cat <<EOF
usage: bash scripts/install-test-server.sh

Installs io.temporal:temporal-test-server:$VERSION (from Maven Central, with Maven) under
  $DIR
with a launcher that runs it on the machine's Java, and prints the launcher's path.
Needs java and mvn (Debian: apt-get install -y default-jre-headless maven); about 50 MB, once.
EOF
      exit 0
      ;;
    *)
      say "unknown argument: $1 (try --help)"
      exit 2
      ;;
  esac
fi

if [[ -x "$LAUNCHER" && -d "$DIR/lib" ]]; then
  say "Temporal test server found: $LAUNCHER"
  printf '%s\n' "$LAUNCHER"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null; then
    say "the Temporal test server needs $tool: apt-get install -y default-jre-headless maven"
    exit 1
  fi
done

say "installing the Temporal test server $VERSION from Maven Central (about 50 MB, once)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>agentic-batch</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
EOF
mkdir -p "$DIR.partial"
mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$DIR.partial/lib" -DincludeScope=runtime >&2
# `exec`: the SDK stops the server by killing the launcher's pid; a shell left between them
# would leave the JVM running and the SDK waiting on its pipes.
cat >"$DIR.partial/temporal-test-server" <<'EOF'
#!/bin/sh
DIR="$(cd "$(dirname "$0")" && pwd)"
exec "${TEMPORAL_TEST_SERVER_JAVA:-java}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k \
  -cp "$DIR/lib/*" io.temporal.testserver.TestServer "$@"
EOF
chmod +x "$DIR.partial/temporal-test-server"
rm -rf "$DIR"
mv "$DIR.partial" "$DIR"
say "Temporal test server installed: $LAUNCHER"
printf '%s\n' "$LAUNCHER"
