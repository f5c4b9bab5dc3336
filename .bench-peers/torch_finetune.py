#!/usr/bin/python3
"""torch_finetune.py: PyTorch doing the steps `bench --part finetune` times, on this machine.

A peer for `make bench` (core/bench/run.sh runs it when PyTorch is installed), for
comparison only: nothing in the project needs it and a user never has to run it. It builds
a GPT of GPT-2 124M's shape the way the book does (context 1024, qkv bias, dropout 0,
no weight tying; random weights, as a step costs the same whatever they hold) and times
what core/bench/finetune_bench.cpp times:

  ch06  a batch of 8 x 120 tokens; every parameter frozen but the last transformer block,
        the final norm and a new 2-class head (the book's 6.7); the cross-entropy of the
        last token's logits (calc_loss_batch of 6.8).
  ch07  a batch of 8 x 73 tokens; every parameter trained; the cross-entropy of every
        token (calc_loss_batch of 5.1).

A step is zero_grad (set_to_none: ours drops the gradients too), forward, loss, backward
and AdamW (lr 5e-5, weight decay 0.1, as both chapters); a forward is the model in eval
mode under no_grad, with the loss. Each runs once untimed, then --timed-runs times (3 by
default: a 124M step takes seconds on this machine, so few steps are timed, as in ours);
the median is reported. The book run's minutes are the median step times the run's steps
plus the median forward times its forward-only batches, multiplied out as
finetune_bench.cpp does (core/bench/run.sh passes ours' counts from `bench --describe`).

The layers are PyTorch's own (nn.LayerNorm, nn.GELU(approximate="tanh")) where the book
writes them out: the same arithmetic, in PyTorch's fastest form. The attention is the
book's MultiHeadAttention (separate W_query, W_key, W_value; masked_fill; softmax).

The thread count and the OpenBLAS core type are set in the environment before torch is
imported, which is when OpenBLAS reads them. One JSON line per figure on stdout, in ours'
format plus "peer": "pytorch" and what ran (torch version, OpenBLAS core and threads).

  /usr/bin/python3 .bench-peers/torch_finetune.py --chapter ch06 --threads 1
  /usr/bin/python3 .bench-peers/torch_finetune.py --chapter ch07 --threads 2 --openblas-coretype auto
"""
import argparse
import ctypes
import json
import os
import time

# What finetune_bench.cpp runs (bench --describe prints it; run.sh passes it on).
CHAPTERS = {
    #        batch  tokens  book steps  book forward batches
    "ch06": (8, 120, 5 * 130, 13 * 10 + 5 * 10 + 130 + 19 + 38),
    "ch07": (8, 73, 2 * 116, (2 * 116 + 4) // 5 * 10),
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--chapter", required=True, choices=sorted(CHAPTERS))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--openblas-coretype", default="inherit",
                   help="inherit: OPENBLAS_CORETYPE as the environment has it; "
                        "auto: unset, so OpenBLAS picks the kernels for this CPU")
    p.add_argument("--batch", type=int, help="rows of the timed batch")
    p.add_argument("--tokens", type=int, help="tokens per row")
    p.add_argument("--book-steps", type=int, help="training steps of the book's run")
    p.add_argument("--book-forwards", type=int, help="forward-only batches of the book's run")
    p.add_argument("--timed-runs", type=int, default=3)
    a = p.parse_args()
    batch, tokens, steps, forwards = CHAPTERS[a.chapter]
    a.batch = a.batch or batch
    a.tokens = a.tokens or tokens
    a.book_steps = a.book_steps or steps
    a.book_forwards = a.book_forwards or forwards
    return a


def set_thread_environment(threads, coretype):
    """OpenBLAS and OpenMP read these once, when torch loads them."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    if coretype == "auto":
        os.environ.pop("OPENBLAS_CORETYPE", None)
    elif coretype != "inherit":
        os.environ["OPENBLAS_CORETYPE"] = coretype


def openblas_core_and_threads():
    try:
        openblas = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None, None
    openblas.openblas_get_corename.restype = ctypes.c_char_p
    return openblas.openblas_get_corename().decode(), openblas.openblas_get_num_threads()


def gpt_model(torch, vocab_size=50257, context_length=1024, emb_dim=768, n_heads=12, n_layers=12,
              drop_rate=0.0, qkv_bias=True):
    """The book's GPTModel (chapter 4) with GPT-2 124M's BASE_CONFIG by default."""
    nn = torch.nn

    class MultiHeadAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.head_dim = emb_dim // n_heads
            self.W_query = nn.Linear(emb_dim, emb_dim, bias=qkv_bias)
            self.W_key = nn.Linear(emb_dim, emb_dim, bias=qkv_bias)
            self.W_value = nn.Linear(emb_dim, emb_dim, bias=qkv_bias)
            self.out_proj = nn.Linear(emb_dim, emb_dim)
            self.dropout = nn.Dropout(drop_rate)
            mask = torch.triu(torch.ones(context_length, context_length, dtype=torch.bool), diagonal=1)
            self.register_buffer("mask", mask, persistent=False)

        def forward(self, x):
            b, num_tokens, _ = x.shape

            def split_heads(y):  # (b, T, C) -> (b, H, T, hs)
                return y.view(b, num_tokens, n_heads, self.head_dim).transpose(1, 2)

            queries = split_heads(self.W_query(x))
            keys = split_heads(self.W_key(x))
            values = split_heads(self.W_value(x))
            attn_scores = queries @ keys.transpose(2, 3)
            attn_scores.masked_fill_(self.mask[:num_tokens, :num_tokens], -torch.inf)
            attn_weights = self.dropout(torch.softmax(attn_scores / self.head_dim ** 0.5, dim=-1))
            context_vec = (attn_weights @ values).transpose(1, 2)
            return self.out_proj(context_vec.contiguous().view(b, num_tokens, emb_dim))

    class TransformerBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.att = MultiHeadAttention()
            self.ff = nn.Sequential(nn.Linear(emb_dim, 4 * emb_dim), nn.GELU(approximate="tanh"),
                                    nn.Linear(4 * emb_dim, emb_dim))
            self.norm1 = nn.LayerNorm(emb_dim, eps=1e-5)
            self.norm2 = nn.LayerNorm(emb_dim, eps=1e-5)
            self.drop_shortcut = nn.Dropout(drop_rate)

        def forward(self, x):
            x = x + self.drop_shortcut(self.att(self.norm1(x)))
            return x + self.drop_shortcut(self.ff(self.norm2(x)))

    class GPTModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = nn.Embedding(vocab_size, emb_dim)
            self.pos_emb = nn.Embedding(context_length, emb_dim)
            self.drop_emb = nn.Dropout(drop_rate)
            self.trf_blocks = nn.Sequential(*[TransformerBlock() for _ in range(n_layers)])
            self.final_norm = nn.LayerNorm(emb_dim, eps=1e-5)
            self.out_head = nn.Linear(emb_dim, vocab_size, bias=False)

        def forward(self, in_idx):
            num_tokens = in_idx.shape[1]
            positions = torch.arange(num_tokens, device=in_idx.device)
            x = self.drop_emb(self.tok_emb(in_idx) + self.pos_emb(positions))
            return self.out_head(self.final_norm(self.trf_blocks(x)))

    return GPTModel()


def median_seconds(f, runs):
    """The median of `runs` timings of f, after one untimed run."""
    f()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        seconds.append(time.perf_counter() - start)
    return sorted(seconds)[len(seconds) // 2]


def main():
    a = parse_args()
    set_thread_environment(a.threads, a.openblas_coretype)
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(123)
    core, blas_threads = openblas_core_and_threads()

    model = gpt_model(torch)
    generator = torch.Generator().manual_seed(123)
    input_batch = torch.randint(0, 50257, (a.batch, a.tokens), generator=generator)
    if a.chapter == "ch06":
        for param in model.parameters():
            param.requires_grad = False
        model.out_head = torch.nn.Linear(768, 2)
        for param in model.trf_blocks[-1].parameters():
            param.requires_grad = True
        for param in model.final_norm.parameters():
            param.requires_grad = True
        target_batch = torch.randint(0, 2, (a.batch,), generator=generator)

        def calc_loss_batch():
            logits = model(input_batch)[:, -1, :]  # the last token's
            return F.cross_entropy(logits, target_batch)
    else:
        target_batch = torch.randint(0, 50257, (a.batch, a.tokens), generator=generator)

        def calc_loss_batch():
            logits = model(input_batch)
            return F.cross_entropy(logits.flatten(0, 1), target_batch.flatten())

    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.1)

    def step():
        optimizer.zero_grad(set_to_none=True)
        calc_loss_batch().backward()
        optimizer.step()

    def forward():
        with torch.no_grad():
            calc_loss_batch()

    model.train()
    step_s = median_seconds(step, a.timed_runs)
    model.eval()
    forward_s = median_seconds(forward, a.timed_runs)

    what = {"peer": "pytorch", "torch": torch.__version__, "openblas_core": core,
            "openblas_threads": blas_threads, "openblas_coretype": a.openblas_coretype,
            "torch_threads": torch.get_num_threads(), "timed_runs": a.timed_runs}

    def emit(figure, value, unit, **extra):
        line = {"figure": figure, "config": a.chapter, "threads": a.threads, "value": round(value, 2),
                "unit": unit}
        line.update(extra)
        line.update(what)
        print(json.dumps(line), flush=True)

    tokens_per_step = a.batch * a.tokens
    minutes = (a.book_steps * step_s + a.book_forwards * forward_s) / 60
    emit("finetune_ms_per_step", step_s * 1e3, "ms")
    emit("finetune_tokens_per_s", tokens_per_step / step_s, "tokens/s", tokens_per_step=tokens_per_step)
    emit("finetune_book_run_minutes", minutes, "min", steps=a.book_steps, forward_batches=a.book_forwards,
         forward_ms=round(forward_s * 1e3, 2), note="median step and forward times multiplied out")


if __name__ == "__main__":
    main()
