"""PyTorch side of bench/scale.sh: training steps of one model size, to set
against bench/scalestep (gorgonet) of the same shape.

  /usr/bin/python3 bench/scale_torch.py gpt --context 256 --batch 8 --dim 384 --heads 6 --layers 6
  /usr/bin/python3 bench/scale_torch.py lstm --context 128 --batch 32 --embed 256 --dim 1024
  /usr/bin/python3 bench/scale_torch.py peak          # sgemm GFLOP/s of this machine (torch.mm)

gpt: decoder-only Transformer with nanoGPT's block (fused qkv Linear, pre-LN,
GELU, causal attention, FFN 4·d, learned positions, untied head with no bias);
lstm: embedding, one nn.LSTM layer, Linear head. Adam lr 1e-3, gradient
clipping at 1.0, float32, random token ids. A step is forward, cross-entropy,
backward, clipping and the update. Prints one JSON line (step seconds:
median, min, max; or the sgemm peak).
"""
import argparse, json, math, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F


class Block(nn.Module):
    def __init__(s, d, heads):
        super().__init__()
        s.heads = heads
        s.ln1, s.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.qkv, s.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.fc1, s.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(s, x, mask):
        B, T, D = x.shape
        q, k, v = s.qkv(s.ln1(x)).split(D, 2)
        q, k, v = [z.view(B, T, s.heads, D // s.heads).transpose(1, 2) for z in (q, k, v)]
        a = (q @ k.transpose(-2, -1)) / math.sqrt(D // s.heads)
        a = a.masked_fill(mask[:T, :T], float('-inf'))
        x = x + s.proj((F.softmax(a, -1) @ v).transpose(1, 2).reshape(B, T, D))
        return x + s.fc2(F.gelu(s.fc1(s.ln2(x))))


class GPT(nn.Module):
    def __init__(s, vocab, context, d, heads, layers):
        super().__init__()
        s.tok, s.pos = nn.Embedding(vocab, d), nn.Embedding(context, d)
        s.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        s.ln, s.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)
        s.register_buffer('mask', torch.ones(context, context, dtype=torch.bool).triu(1))

    def forward(s, x):
        h = s.tok(x) + s.pos(torch.arange(x.shape[1]))
        for b in s.blocks:
            h = b(h, s.mask)
        return s.head(s.ln(h))


class LSTMLM(nn.Module):
    def __init__(s, vocab, embed, hidden):
        super().__init__()
        s.emb, s.rnn, s.head = nn.Embedding(vocab, embed), nn.LSTM(embed, hidden, batch_first=True), nn.Linear(hidden, vocab)

    def forward(s, x):
        return s.head(s.rnn(s.emb(x))[0])


def peak(threads):
    """Best sgemm GFLOP/s of torch.mm over square sizes 512–2048."""
    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        reps = max(3, int(2e10 / (2 * n ** 3)))
        torch.mm(a, b)
        t = []
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b)
            t.append((time.perf_counter() - t0) / reps)
        best = max(best, 2 * n ** 3 / min(t) / 1e9)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model', choices=('gpt', 'lstm', 'peak'))
    for name, default in (('vocab', 96), ('context', 64), ('batch', 32), ('dim', 128), ('heads', 4),
                          ('layers', 4), ('embed', 256), ('steps', 3), ('warmup', 1), ('threads', 2), ('seed', 1)):
        ap.add_argument('--' + name, type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.model == 'peak':
        print(json.dumps(dict(impl='pytorch-' + torch.__version__, threads=a.threads, sgemm_gflop_s=round(peak(a.threads), 1))))
        return
    model = (GPT(a.vocab, a.context, a.dim, a.heads, a.layers) if a.model == 'gpt'
             else LSTMLM(a.vocab, a.embed, a.dim))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for i in range(a.warmup + a.steps):
        x = torch.randint(a.vocab, (a.batch, a.context))
        y = torch.randint(a.vocab, (a.batch, a.context))
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x).reshape(-1, a.vocab), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    print(json.dumps(dict(model=a.model, impl='pytorch-' + torch.__version__, threads=a.threads,
                          params=sum(p.numel() for p in model.parameters()), steps=a.steps,
                          step_s_median=round(statistics.median(times), 5),
                          step_s_min=round(min(times), 5), step_s_max=round(max(times), 5))))


if __name__ == '__main__':
    main()
