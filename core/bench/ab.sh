#!/bin/sh
# Is a change faster? Two builds' training steps, taking turns:
#
#   sh core/bench/ab.sh OLD_BENCH NEW_BENCH [CONFIG [THREADS [STEPS [ROUNDS]]]]
#
# (defaults: tiny 1 30 8). OLD_BENCH and NEW_BENCH are two bench binaries, e.g. a copy of
# build/release/bench made before the change and the one `make` builds after it. Each round
# runs `OLD_BENCH --steps CONFIG THREADS STEPS` and the same with NEW_BENCH, each in its own
# process, and prints both median steps and their ratio; at the end, the median of the
# rounds' ratios and the loss each build ended on, as bits: a change meant to compute the
# same numbers must leave those alike, and the script exits with 1 when they differ in any
# round.
#
# Why in turns: on a shared VM the same binary's step moves by 10-30% from one minute to
# the next, and two builds of the same code can differ by as much in their loops' alignment
# (book-notes/performance.md); only ratios taken side by side, over several rounds, say
# anything about a change of a few percent. The two go first by turns (old, new; then new,
# old), since the one that ran second was seen slower round after round, and on one thread
# both run on the same CPU (`taskset -c ${AB_CPU:-0}`, when taskset is there): on this
# project's 2-vCPU VM a tiny step took 44 ms on one vCPU and 54-56 on the other, and which
# one was slower changed within the hour.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: sh core/bench/ab.sh OLD_BENCH NEW_BENCH [CONFIG [THREADS [STEPS [ROUNDS]]]]" >&2
  exit 2
fi
old=$1
new=$2
config=${3:-tiny}
threads=${4:-1}
steps=${5:-30}
rounds=${6:-8}
case $rounds in
  '' | *[!0-9]* | 0) echo "ab.sh: ROUNDS must be a whole number of 1 or more, not '$rounds'" >&2; exit 2 ;;
esac

# field LINE KEY: a number or string member of one of bench's flat JSON lines.
field() {
  printf '%s\n' "$1" | sed -n -e 's/.*"'"$2"'": "\([^"]*\)".*/\1/p' -e t -e 's/.*"'"$2"'": \([^,}]*\).*/\1/p'
}

# median: the middle of the numbers on stdin, one a line (the mean of the two middle ones
# for an even count).
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratios=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$ratios" "$errors"' EXIT

pin=
if [ "$threads" = 1 ] && command -v taskset > /dev/null 2>&1; then
  pin="taskset -c ${AB_CPU:-0}"
fi

# steps_of BENCH: its `--steps` line; bench's progress lines on stderr are kept back, and
# shown only when it fails.
steps_of() {
  # shellcheck disable=SC2086  # $pin is a command and its arguments, or nothing
  if ! $pin "$1" --steps "$config" "$threads" "$steps" 2> "$errors"; then
    cat "$errors" >&2
    echo "ab.sh: '$1 --steps $config $threads $steps' failed (a bench built before --steps has no such mode)" >&2
    return 2
  fi
}

differed=
echo "round  old ms  new ms  new/old   ($config, $threads thread(s), median of $steps steps each${pin:+, $pin})"
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    a=$(steps_of "$old")
    b=$(steps_of "$new")
  else
    b=$(steps_of "$new")
    a=$(steps_of "$old")
  fi
  a_ms=$(field "$a" value)
  b_ms=$(field "$b" value)
  ratio=$(awk -v a="$a_ms" -v b="$b_ms" 'BEGIN { printf "%.4f", b / a }')
  echo "$ratio" >> "$ratios"
  printf '%5d %7s %7s  %s\n' "$round" "$a_ms" "$b_ms" "$ratio"
  old_bits=$(field "$a" loss_bits)
  new_bits=$(field "$b" loss_bits)
  [ "$old_bits" = "$new_bits" ] || differed=${differed:-$round}
done
echo "median new/old: $(median < "$ratios")   last loss bits: old $old_bits, new $new_bits"
if [ -n "$differed" ]; then
  echo "ab.sh: the two builds ended on different losses (first in round $differed)" >&2
  exit 1
fi
