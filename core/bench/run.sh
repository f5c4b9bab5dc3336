#!/bin/sh
# make bench's runner:  sh core/bench/run.sh BUILD_DIR PEERS_DIR PYTHON [VERDICT GPT2_DIR]
#
# Runs BUILD_DIR/bench part by part (matmul; the configs tiny, small and 124m; long-context
# attention; chapters 6 and 7; the book's chapter-5 run when VERDICT and GPT2_DIR hold the
# book's files) and after each part the same work done by the peers, when they are here:
#   after matmul        OpenBLAS's cblas_sgemm on the same shapes (PEERS_DIR/sgemm_blas.c),
#                       in three rounds like ours
#   after each config   PyTorch's training step and generation (PEERS_DIR/torch_gpt.py);
#                       the configs and their peer run in BENCH_ROUNDS rounds (default 2)
#   after ch06 and ch07 PyTorch's finetuning steps (.bench-peers/torch_finetune.py)
# The peers are for comparison only and a user's checkout has none (PEERS_DIR comes from
# the Makefile's PEERS); when PEERS_DIR is missing or PYTHON cannot import torch, one line
# says so and ours run alone.
#
# The peers run what `bench --describe` says ours run (shapes, batch, dropout, steps,
# prompt and new tokens, thread counts), each thread count in its own process, and, when
# the environment sets OPENBLAS_CORETYPE, once with it ("inherit") and once without it
# ("auto": OpenBLAS picks the kernels for this CPU, AVX-512 ones here).
#
# Every JSON line goes to the screen and to BUILD_DIR/bench.jsonl, with the load average
# at the start and at the end (the machine may be shared). At the end `bench --summary`
# reads that file and prints how many times faster ours is than the fastest peer run per
# config and thread count ({"figure": "ratio", ...}), appended to the file too.
set -u
out=$1
peers=$2
python=$3
verdict=${4:-}
gpt2_dir=${5:-}
bench=$out/bench
log=$out/bench.jsonl
status=0

# run COMMAND...: its output to the screen and to the log; a failure is remembered.
run() {
  echo "== $*" >&2
  { "$@"; echo $? > "$log.rc"; } | tee -a "$log"  # streams, and keeps the exit status
  if [ "$(cat "$log.rc")" != 0 ]; then
    echo "bench: failed: $*" >&2
    status=1
  fi
}

load_average() {  # load_average start|end: a JSON line of `uptime`'s three load averages
  printf '{"figure": "load_average", "when": "%s", "value": "%s", "unit": "1, 5, 15 min"}\n' \
    "$1" "$(uptime | sed 's/.*load averages*: *//')" | tee -a "$log"
}

# describe CONFIG: bench --describe's line for that config, from the log.
describe() {
  grep "\"figure\": \"config\", \"config\": \"$1\"" "$log" | tail -n 1
}

# field LINE KEY: the value of a number, boolean or string member of one flat JSON line.
field() {
  printf '%s\n' "$1" | sed -n -e 's/.*"'"$2"'": "\([^"]*\)".*/\1/p' -e t -e 's/.*"'"$2"'": \([^,}]*\).*/\1/p'
}

# with_coretype inherit|auto COMMAND...: the command with OPENBLAS_CORETYPE kept or unset.
with_coretype() {
  if [ "$1" = auto ]; then
    shift
    env -u OPENBLAS_CORETYPE "$@"
  else
    shift
    "$@"
  fi
}

# The widest vector register gemm's packed multiply-adds use, from its object code (empty
# when objdump is missing or the CPU is not x86: bench then goes by the compiler flags).
gemm_vector_bits() {
  fmas=$(objdump -d "$out/core/kernels/gemm.o" 2>/dev/null | grep -E 'vfn?m(add|sub)[0-9]+ps')
  case $fmas in
    *zmm*) echo 512 ;;
    *ymm*) echo 256 ;;
    *xmm*) echo 128 ;;
  esac
}

peer_openblas() {
  mkdir -p "$out/peers"
  if ! ${CC:-cc} -O3 -march=native -std=c11 "$peers/sgemm_blas.c" -o "$out/peers/sgemm_blas" -lopenblas -lm \
       2> "$out/peers/sgemm_blas.log"; then
    echo "bench: the OpenBLAS peer did not build (see $out/peers/sgemm_blas.log); skipped" >&2
    return
  fi
  # Three rounds, as ours measures every shape in three rounds and keeps the best (the
  # summary takes the fastest peer figure per shape).
  for round in 1 2 3; do
    for coretype in $coretypes; do
      for threads in $thread_list; do
        echo "bench: OpenBLAS round $round of 3" >&2
        run with_coretype "$coretype" env OPENBLAS_NUM_THREADS="$threads" \
          "$out/peers/sgemm_blas" --set square,tiny,small,gpt124m
      done
    done
  done
}

# peer_torch_gpt CONFIG: PyTorch's training step and greedy generation (no KV cache) for it.
peer_torch_gpt() {
  line=$(describe "$1")
  case $1 in
    tiny|small) preset=$1 ;;
    *) preset=book124M ;;  # torch_gpt.py's name; every size is given below anyway
  esac
  bias=
  [ "$(field "$line" qkv_bias)" = true ] && bias=--qkv-bias
  for coretype in $coretypes; do
    # shellcheck disable=SC2086  # $bias is one argument or none
    run "$python" "$peers/torch_gpt.py" --config "$preset" --tag "$1" --mode both \
      --vocab "$(field "$line" vocab)" --ctx "$(field "$line" ctx)" --emb "$(field "$line" emb)" \
      --heads "$(field "$line" heads)" --layers "$(field "$line" layers)" --batch "$(field "$line" batch)" \
      --dropout "$(field "$line" dropout)" $bias \
      --warmup "$(field "$line" warmup_steps)" --steps "$(field "$line" timed_steps)" \
      --prompt-len "$(field "$line" prompt_tokens)" --gen-tokens "$(field "$line" new_tokens)" \
      --threads "$(field "$line" thread_counts)" --openblas-coretype "$coretype"
  done
}

# peer_torch_finetune: PyTorch's chapter 6 and 7 steps, as ours (ch06 on each thread count, then ch07).
peer_torch_finetune() {
  for chapter in ch06 ch07; do
    line=$(describe "$chapter")
    for coretype in $coretypes; do
      for threads in $thread_list; do
        run "$python" .bench-peers/torch_finetune.py --chapter "$chapter" --threads "$threads" \
          --openblas-coretype "$coretype" --batch "$(field "$line" batch)" --tokens "$(field "$line" tokens)" \
          --book-steps "$(field "$line" book_steps)" --book-forwards "$(field "$line" book_forward_batches)" \
          --timed-runs "$(field "$line" timed_runs)"
      done
    done
  done
}

: > "$log"
why=
if [ -z "$peers" ]; then
  why="PEERS is empty"
elif [ ! -d "$peers" ]; then
  why="$peers not found"
elif ! "$python" -c 'import torch' 2> /dev/null; then
  why="$python cannot import torch"
fi
if [ -n "$why" ]; then
  echo "bench: no peers ($why): ours only" >&2
fi
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
  coretypes="inherit auto"
else
  coretypes=auto
fi

load_average start
run "$bench" --describe
thread_list=$(field "$(describe tiny)" thread_counts | tr ',' ' ')
bits=$(gemm_vector_bits)
run "$bench" --part matmul ${bits:+--gemm-vector-bits "$bits"}
[ -z "$why" ] && peer_openblas
# The configs in rounds (BENCH_ROUNDS, default 2), ours then the peer each time, so that a
# slow spell of this shared machine falls on one round of each; the summary sets the fastest
# run of ours against the fastest of the peer.
rounds=${BENCH_ROUNDS:-2}
round=1
while [ "$round" -le "$rounds" ]; do
  for config in tiny small 124m; do
    echo "bench: $config, round $round of $rounds" >&2
    run "$bench" --config "$config"
    [ -z "$why" ] && peer_torch_gpt "$config"
  done
  round=$((round + 1))
done
run "$bench" --part attention
run "$bench" --part finetune
[ -z "$why" ] && peer_torch_finetune
if [ -n "$verdict" ] && [ -f "$verdict" ] && [ -f "$gpt2_dir/encoder.json" ]; then
  run "$bench" --part book --verdict "$verdict" --gpt2-dir "$gpt2_dir" --program "$out/ch05_pretraining" \
    --log "$out/book-train.txt"
else
  echo "bench: the book's chapter-5 run skipped: '$verdict' or '$gpt2_dir/encoder.json' not found (BOOK_VERDICT=FILE BOOK_GPT2=DIR)" >&2
fi
load_average end
if [ -z "$why" ]; then
  if "$bench" --summary "$log" > "$log.summary"; then
    tee -a "$log" < "$log.summary"
  else
    status=1
  fi
fi
rm -f "$log.rc" "$log.summary"
exit $status
