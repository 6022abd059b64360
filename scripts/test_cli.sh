#!/usr/bin/env bash
# The driver's command line: every command answers --help with its usage and
# exit 0, and bad arguments with a message and exit 2, before it installs,
# builds or runs anything.
set -uo pipefail
RINGLAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ringlab
failures=0

expect() {  # expect RC PATTERN ARGS...
  local want=$1 pattern=$2; shift 2
  local out rc
  out=$("$RINGLAB" "$@" 2>&1); rc=$?
  if [[ $rc -ne $want ]] || ! grep -qiE -- "$pattern" <<<"$out"; then
    echo "FAIL: ringlab $* -> exit $rc (want $want, output matching '$pattern'):"
    sed 's/^/    /' <<<"$out" | head -5
    failures=$((failures + 1))
  else
    echo "ok   ringlab $* -> exit $rc"
  fi
}

expect 2 "usage" 
expect 2 "unknown command" frobnicate
expect 0 "Commands:" --help
expect 0 "Commands:" help
expect 2 "takes no arguments" setup extra
expect 2 "unknown preset" build nope
expect 2 "unknown option" test --bogus
expect 0 "Usage" test --help
expect 2 "unknown option" model --bogus
expect 2 "needs a value" model --iterations
expect 2 "invalid choice" bench --config nope
expect 2 "at least 1" bench --repetitions 0
expect 2 "not a regular expression" bench --filter "("
expect 0 "usage: ringlab bench" bench --help
expect 2 "unknown option" report --bogus
expect 2 "needs a value" report --config
expect 2 "invalid choice" report --config nope
expect 2 "no run directory" report --render /nonexistent/run
expect 0 "The main job" report --help
expect 0 "cost.json" report --help

echo "$failures failed"
[[ $failures -eq 0 ]]
