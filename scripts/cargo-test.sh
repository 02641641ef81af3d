#!/usr/bin/env bash
# Runs `cargo test` with the given arguments, keeps its output, and ends with one line
# adding up every test binary's result: `tests: N passed, N failed`. (cargo's own last
# line belongs to whichever binary ran last, often one with no tests at all.)
set -uo pipefail
mkdir -p var
log=var/cargo-test.log
cargo test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
grep -E '^test result:' "$log" | awk '{p += $4; f += $6} END {printf "tests: %d passed, %d failed\n", p, f}'
exit "$status"
