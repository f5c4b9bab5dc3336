#!/bin/sh
# Runs test binaries one after the other, each with the same Catch2 arguments, and ends
# with one line for all of them, the line CI reads:
#   "N passed, N failed" (plus ", N skipped" when some were)
# Each binary ends its own output with such a line (tests/catch_main.cpp); they are added.
# Exits non-zero when any binary does.
#   sh tests/run_suites.sh BINARY... -- [CATCH2 ARGUMENTS...]
binaries="" count=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  binaries="$binaries $1" count=$((count + 1))
  shift
done
[ $# -gt 0 ] && shift  # "$@" is now the Catch2 arguments

if [ "$count" -eq 1 ]; then  # one binary: its own last line is the total
  exec $binaries "$@"
fi

log=$(mktemp "${TMPDIR:-/tmp}/llm_tests.XXXXXX") || exit 1
trap 'rm -f "$log" "$log.rc"' EXIT
passed=0 failed=0 skipped=0 status=0 each=""
add_counts() { passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + ${3:-0})); }
for binary in $binaries; do
  echo "=== $binary"
  { "$binary" "$@"; echo $? >"$log.rc"; } | tee "$log"  # streams, and keeps the exit status
  [ "$(cat "$log.rc")" = 0 ] || status=1
  last=$(tail -n 1 "$log")
  counts=$(printf '%s\n' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$/\1 \2 \4/p')
  if [ -z "$counts" ]; then
    echo "error: $binary did not end with \"N passed, N failed\"" >&2
    status=1 failed=$((failed + 1))
    continue
  fi
  add_counts $counts  # split into its two or three numbers
  each="$each${each:+; }$(basename "$binary"): $last"
done
echo "(each: $each)"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
