#!/bin/sh
# make fuzz's runner:  sh tests/fuzz/run.sh BUILD_DIR SECONDS DATA_DIR TARGET...
# DATA_DIR holds the real data files (../shared/data unless FUZZ_DATA says otherwise).
# For each target, one at a time and under `nice -n 10` (the machine is shared):
#   1. run it once on each whole real file it reads (a crash there stops that target);
#   2. fuzz it for SECONDS, starting from the corpus BUILD_DIR/corpus/<target>/ (kept
#      between runs) and the seeds write_seeds wrote to BUILD_DIR/seeds/<target>/.
# Crashing inputs go to BUILD_DIR/crashes/, the output to BUILD_DIR/logs/<target>.log;
# the lines with the numbers (executions, coverage, memory) are printed.
set -u
dir=$1
seconds=$2
shared=$3
shift 3

rm -rf "$dir/seeds"
"$dir/write_seeds" "$dir/seeds" data/stories.txt "$shared" || exit 1
mkdir -p "$dir/corpus" "$dir/crashes" "$dir/logs"
for f in gpt2/encoder.json gpt2/vocab.bpe sms_spam_collection/SMSSpamCollection.tsv instruction-data.json the-verdict.txt; do
  [ -f "$shared/$f" ] || echo "note: $shared/$f not found: fuzzing without it"
done
if [ -f "$shared/gpt2/encoder.json" ] && [ -f "$shared/gpt2/vocab.bpe" ]; then
  { cat "$shared/gpt2/encoder.json"; printf '\0'; cat "$shared/gpt2/vocab.bpe"; } > "$dir/seeds/gpt2_tokenizer"
  LLM_FUZZ_GPT2_DIR=$shared/gpt2   # fuzz_bpe_encode's tokenizer
  export LLM_FUZZ_GPT2_DIR
fi

# The whole real files each target reads (those that exist).
real_files() {
  case $1 in
    json) set -- "$shared/gpt2/encoder.json" "$shared/instruction-data.json" ;;
    instruction_data) set -- "$shared/instruction-data.json" ;;
    csv) set -- "$shared/sms_spam_collection/SMSSpamCollection.tsv" data/stories.txt ;;
    bpe_encode) set -- data/stories.txt "$shared/the-verdict.txt" "$shared/instruction-data.json" ;;
    bpe_load) set -- "$dir/seeds/gpt2_tokenizer" ;;
    *) set -- ;;
  esac
  for f in "$@"; do [ -f "$f" ] && echo "$f"; done
}

status=0
for target in "$@"; do
  bin=$dir/fuzz_$target
  log=$dir/logs/$target.log
  mkdir -p "$dir/corpus/$target" "$dir/seeds/$target"
  echo "== fuzz_$target: the whole real files, then ${seconds} s of fuzzing (log: $log)"
  files=$(real_files "$target")
  if [ -n "$files" ]; then
    # shellcheck disable=SC2086  # one argument per file
    if ! nice -n 10 "$bin" -rss_limit_mb=4096 -artifact_prefix="$dir/crashes/$target-" $files > "$log.real" 2>&1; then
      echo "fuzz_$target FAILED on a real file: see $log.real"
      status=1
      continue
    fi
    grep -E '^Executed' "$log.real"
  fi
  # A dictionary of the format's words, when the target has one.
  case $target in
    safetensors|checkpoint|gpt2_weights) dict=-dict=tests/fuzz/safetensors.dict ;;
    json|instruction_data|bpe_load) dict=-dict=tests/fuzz/json.dict ;;
    *) dict= ;;
  esac
  # -max_len: inputs (seeds too) are cut to 16 KB, as small inputs run ~1000 times faster
  # than whole files under the sanitizers. -timeout: one input over 10 s is a hang.
  # -rss_limit_mb/-malloc_limit_mb: a file claiming huge sizes must be refused before
  # anything that big is allocated.
  # shellcheck disable=SC2086  # $dict is one argument or none
  nice -n 10 "$bin" "$dir/corpus/$target" "$dir/seeds/$target" $dict \
    -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$dir/crashes/$target-" > "$log" 2>&1
  rc=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' "$log"
  if [ $rc -ne 0 ]; then
    echo "fuzz_$target FOUND A PROBLEM (exit $rc): see $log and $dir/crashes/"
    grep -E 'ERROR|runtime error|fuzz property failed|terminate called|what\(\)|Test unit written' "$log" | head -n 6
    status=1
  fi
done
exit $status
