#!/usr/bin/env bash
# Makes sure a Temporal CLI (`temporal`, whose `server start-dev` is agentic-batch's embedded
# Temporal server) is installed, building it with Go only when none is found.
#
# The path of the binary goes to stdout, alone; everything else to stderr, so
#   export TEMPORAL_CLI_PATH="$(bash scripts/install-temporal-cli.sh)"
# works. Exit status: 0 found or installed, 1 not found and not installable here, 2 bad usage.
set -euo pipefail

# Later tags of github.com/temporalio/cli carry a `replace` directive in their go.mod, which
# `go install module@version` refuses ("The go.mod file for the module providing named packages
# contains one or more replace directives"); v1.5.1 is the newest tag that installs this way.
readonly CLI_MODULE='github.com/temporalio/cli/cmd/temporal'
readonly CLI_VERSION='v1.5.1'

usage() {
  cat <<EOF
usage: bash scripts/install-temporal-cli.sh [--help]

Finds the Temporal CLI where agentic-batch looks for it, in this order:
  1. \$TEMPORAL_CLI_PATH
  2. \`temporal\` on \$PATH
  3. ~/go/bin/temporal
(and, if Go is present, in Go's own install directory), and prints its path.
If there is none and Go is present, runs
  go install ${CLI_MODULE}@${CLI_VERSION}
which takes several minutes on 2 cores, and prints the new binary's path.
Otherwise prints other ways to get it, and exits 1.

The path goes to stdout alone:  export TEMPORAL_CLI_PATH="\$(bash $0)"
EOF
}

say() { printf '%s\n' "$*" >&2; }

is_runnable() { [[ -n "$1" && -f "$1" && -x "$1" ]]; }

found() {
  local version
  version="$("$1" --version 2>/dev/null)" || version='version unknown'
  say "temporal CLI found: $1 (${version%%$'\n'*})"
  printf '%s\n' "$1"
  exit 0
}

# Where `go install` puts binaries: GOBIN, else the first GOPATH entry's bin.
go_bin_dir() {
  local gobin gopath
  gobin="$(go env GOBIN 2>/dev/null || true)"
  if [[ -n "$gobin" ]]; then
    printf '%s\n' "$gobin"
    return
  fi
  gopath="$(go env GOPATH 2>/dev/null || true)"
  [[ -n "$gopath" ]] || return 1
  printf '%s/bin\n' "${gopath%%:*}"
}

# A binary that agentic-batch itself would not find needs TEMPORAL_CLI_PATH.
hint_if_hidden() {
  local bin="$1" on_path
  on_path="$(command -v temporal 2>/dev/null || true)"
  if [[ "$bin" != "${HOME}/go/bin/temporal" && "$bin" != "$on_path" ]]; then
    say "note: agentic-batch will not find it by itself: export TEMPORAL_CLI_PATH=$bin"
  fi
}

alternatives() {
  cat >&2 <<EOF
No Temporal CLI was found, and $1. Other ways to get it:
  - macOS:         brew install temporal
  - Linux/macOS:   curl -sSf https://temporal.download/cli.sh | sh
                   (installs into ~/.temporalio/bin: add it to PATH or set TEMPORAL_CLI_PATH)
  - any platform:  download a release from https://github.com/temporalio/cli/releases,
                   unpack it, and put \`temporal\` on PATH or set TEMPORAL_CLI_PATH to it
  - with Go:       go install ${CLI_MODULE}@${CLI_VERSION}
  - no local server at all: set TEMPORAL_ADDRESS=host:port to use an existing Temporal
    server (for example the one in docker-compose.yml: TEMPORAL_ADDRESS=localhost:7233)
EOF
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  '') ;;
  *) say "unknown argument: $1"; usage >&2; exit 2 ;;
esac

# 1. Already installed where agentic-batch looks (src/stack/temporalServer.ts, same order).
if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  if is_runnable "$TEMPORAL_CLI_PATH"; then found "$TEMPORAL_CLI_PATH"; fi
  say "warning: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file; looking elsewhere"
fi
if on_path="$(command -v temporal 2>/dev/null)" && is_runnable "$on_path"; then found "$on_path"; fi
if is_runnable "${HOME}/go/bin/temporal"; then found "${HOME}/go/bin/temporal"; fi

if ! command -v go >/dev/null 2>&1; then
  alternatives 'Go is not installed to build one'
  exit 1
fi

# 2. Built before into a non-default Go bin directory: reuse it rather than rebuild.
bin_dir="$(go_bin_dir)" || { say "error: \`go env GOPATH\` is empty"; exit 1; }
if is_runnable "${bin_dir}/temporal"; then
  hint_if_hidden "${bin_dir}/temporal"
  found "${bin_dir}/temporal"
fi

# 3. Build it.
say "building the Temporal CLI with Go, about 4 minutes, once (go install ${CLI_MODULE}@${CLI_VERSION})"
if ! go install "${CLI_MODULE}@${CLI_VERSION}" >&2; then
  alternatives 'building it with Go failed (see above)'
  exit 1
fi
if ! is_runnable "${bin_dir}/temporal"; then
  say "error: go install succeeded but ${bin_dir}/temporal is missing"
  exit 1
fi
hint_if_hidden "${bin_dir}/temporal"
found "${bin_dir}/temporal"
