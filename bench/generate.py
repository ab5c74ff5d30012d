"""PyTorch reference for bench/generate.sh: generation speed of a small GPT.

A GPT written as nanoGPT writes it (fused qkv Linear, pre-LN blocks, GELU,
learned positions, untied head, no dropout), of the shape of gorgonet's
BenchmarkGenerate (models/transformer/bench_generate_test.go): vocab 65,
d_model 128, 4 heads, 4 layers, float32, untrained weights. For each context
it continues a prompt of `context` tokens by --tokens tokens sampled at
temperature 1, with the sliding rule of gorgonet's LM.Generate (the window
restarts from its last context - context//2 tokens when it outgrows the
context), in two ways:

  nocache: every token recomputes the window (nanoGPT's generate, which
           crops each step's input to the context; here the same windows as
           gorgonet's for a like-for-like count of work);
  cache:   each window is read once (prefill) into preallocated key/value
           buffers [1, heads, context, head_dim]; each further token is one
           step attending over the filled part of the buffers.

It prints one JSON line per context and mode with tokens/s.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def mlp(self, x):
        return self.mlp_proj(F.gelu(self.c_fc(x)))

    def qkv(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        shape = (B, T, self.heads, C // self.heads)
        return [t.view(shape).transpose(1, 2) for t in (q, k, v)]

    def attend(self, x, q, k, v, mask):
        """x + attention of q over k, v (mask: additive, or None), then the MLP."""
        B, T, C = x.shape
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        if mask is not None:
            att = att + mask
        y = F.softmax(att, dim=-1) @ v
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab, context, d, heads, layers):
        super().__init__()
        self.context = context
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(context, d)
        self.h = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        causal = torch.full((context, context), float("-inf")).triu(1)
        self.register_buffer("causal", causal)

    def forward(self, idx, cache=None):
        """Logits of the last position of idx [1,T] (positions 0..T-1); with
        cache (per block [K, V] buffers [1,H,context,dh]) also fills rows 0..T-1."""
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        mask = self.causal[:T, :T]
        for i, b in enumerate(self.h):
            q, k, v = b.qkv(x)
            if cache is not None:
                cache[i][0][:, :, :T] = k
                cache[i][1][:, :, :T] = v
            x = b.attend(x, q, k, v, mask)
        return self.lm_head(self.ln_f(x[:, -1:, :]))[:, -1, :]

    def step(self, token, pos, cache):
        """Logits after one token at position pos, over cache rows 0..pos-1;
        writes the token's keys and values into row pos."""
        x = self.wte(token) + self.wpe.weight[pos]
        for i, b in enumerate(self.h):
            q, k, v = b.qkv(x)
            K, V = cache[i]
            K[:, :, pos : pos + 1] = k
            V[:, :, pos : pos + 1] = v
            x = b.attend(x, q, K[:, :, : pos + 1], V[:, :, : pos + 1], None)
        return self.lm_head(self.ln_f(x))[:, -1, :]


@torch.no_grad()
def generate(model, prompt, n, use_cache, seed):
    ctx = model.context
    keep = ctx - ctx // 2
    gen = torch.Generator().manual_seed(seed)
    text = list(prompt)
    start = max(0, len(text) - ctx)
    cache = None
    if use_cache:
        d = model.wte.embedding_dim
        heads = model.h[0].heads
        cache = [[torch.zeros(1, heads, ctx, d // heads) for _ in range(2)] for _ in model.h]
    refill = True
    while len(text) < len(prompt) + n:
        if not use_cache or refill:
            logits = model(torch.tensor([text[start:]]), cache)
            refill = False
        else:
            pos = len(text) - 1 - start
            logits = model.step(torch.tensor([[text[-1]]]), pos, cache)
        probs = F.softmax(logits, dim=-1)
        text.append(int(torch.multinomial(probs, 1, generator=gen)))
        if len(text) - start > ctx:
            start = len(text) - keep
            refill = True
    return text[len(prompt):]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", default="64,256,1024")
    ap.add_argument("--tokens", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--modes", default="cache,nocache")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    for ctx in [int(c) for c in args.contexts.split(",")]:
        model = GPT(65, ctx, 128, 4, 4).eval()
        prompt = [(7 * i) % 65 for i in range(ctx)]
        for mode in args.modes.split(","):
            use_cache = mode == "cache"
            generate(model, prompt[:8], 4, use_cache, 0)  # warm up
            t0 = time.perf_counter()
            generate(model, prompt, args.tokens, use_cache, 1)
            dt = time.perf_counter() - t0
            print(json.dumps({"impl": "pytorch", "ctx": ctx, "mode": mode, "tokens": args.tokens,
                              "tokens_per_s": round(args.tokens / dt, 2)}), flush=True)


if __name__ == "__main__":
    main()
