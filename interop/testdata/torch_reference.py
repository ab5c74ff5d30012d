"""PyTorch reference models for package interop's tests.

The GPT-2 modules are written here in the layouts of Hugging Face's
transformers (GPT2LMHeadModel: Conv1D weights [in, out], c_attn holding query,
key and value side by side) and of nanoGPT (model.py: nn.Linear weights
[out, in], lm_head tied to wte), and the recurrent LM as nn.Embedding +
nn.LSTM/GRU/RNN + nn.Linear; safetensors files are read and written by hand
(neither transformers nor safetensors is needed).

    torch_reference.py random ARCH OUT_WEIGHTS OUT_IO [--key value ...]
        random weights (not symmetric) and random ids; writes the weights as
        the ecosystem saves them and ids/targets/logits/loss to OUT_IO
    torch_reference.py logits ARCH WEIGHTS IO OUT [--heads H]
        loads WEIGHTS strictly into a module whose sizes come from the
        shapes, runs it on IO's ids, writes logits (and the loss on IO's
        targets) to OUT

ARCH is hf-gpt2, nanogpt, lstm, gru or rnn. Everything is float32.
"""

import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        arr = np.frombuffer(data[8 + n + b : 8 + n + end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def write_safetensors(path, tensors, meta=None):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name].detach().contiguous().numpy()
        raw = a.tobytes()
        header[name] = {"dtype": NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if meta:
        header["__metadata__"] = meta
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))


def causal_attention(q, k, v, heads):
    B, T, D = q.shape
    q, k, v = (x.view(B, T, heads, D // heads).transpose(1, 2) for x in (q, k, v))
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // heads))
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
    return (att @ v).transpose(1, 2).contiguous().view(B, T, D)


# --- Hugging Face's GPT-2 (transformers.models.gpt2.modeling_gpt2) --------


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: y = x·W + b with W [nx, nf]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        y = torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight)
        return y.view(x.size()[:-1] + (self.nf,))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class HFAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.d = heads, d
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x):
        q, k, v = self.c_attn(x).split(self.d, dim=2)
        return self.c_proj(causal_attention(q, k, v, self.heads))


class HFMLP(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.c_fc = Conv1D(hidden, d)
        self.c_proj = Conv1D(d, hidden)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class HFBlock(nn.Module):
    def __init__(self, d, heads, hidden):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = HFAttention(d, heads)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = HFMLP(d, hidden)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class HFGPT2Model(nn.Module):
    def __init__(self, vocab, ctx, d, heads, layers, hidden):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList([HFBlock(d, heads, hidden) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for b in self.h:
            x = b(x)
        return self.ln_f(x)


class HFGPT2LMHeadModel(nn.Module):
    def __init__(self, vocab, ctx, d, heads, layers, hidden):
        super().__init__()
        self.transformer = HFGPT2Model(vocab, ctx, d, heads, layers, hidden)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tie_word_embeddings

    def forward(self, ids):
        return self.lm_head(self.transformer(ids))

    def saved(self):
        # save_pretrained writes a tied weight once: lm_head.weight is left out.
        return {k: v for k, v in self.state_dict().items() if k != "lm_head.weight"}

    def load(self, sd):
        # from_pretrained: the body strictly, the head tied to wte.
        body = {k[len("transformer.") :] if k.startswith("transformer.") else k: v for k, v in sd.items()}
        self.transformer.load_state_dict(body, strict=True)


# --- nanoGPT (github.com/karpathy/nanoGPT, model.py) ------------------------


class NanoLayerNorm(nn.Module):
    def __init__(self, d, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class NanoAttention(nn.Module):
    def __init__(self, d, heads, bias):
        super().__init__()
        self.heads, self.d = heads, d
        self.c_attn = nn.Linear(d, 3 * d, bias=bias)
        self.c_proj = nn.Linear(d, d, bias=bias)

    def forward(self, x):
        q, k, v = self.c_attn(x).split(self.d, dim=2)
        return self.c_proj(causal_attention(q, k, v, self.heads))


class NanoMLP(nn.Module):
    def __init__(self, d, bias):
        super().__init__()
        self.c_fc = nn.Linear(d, 4 * d, bias=bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * d, d, bias=bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class NanoBlock(nn.Module):
    def __init__(self, d, heads, bias):
        super().__init__()
        self.ln_1 = NanoLayerNorm(d, bias)
        self.attn = NanoAttention(d, heads, bias)
        self.ln_2 = NanoLayerNorm(d, bias)
        self.mlp = NanoMLP(d, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class NanoGPT(nn.Module):
    def __init__(self, vocab, ctx, d, heads, layers, bias):
        super().__init__()
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(vocab, d),
                wpe=nn.Embedding(ctx, d),
                h=nn.ModuleList([NanoBlock(d, heads, bias) for _ in range(layers)]),
                ln_f=NanoLayerNorm(d, bias),
            )
        )
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying

    def forward(self, ids):
        t = self.transformer
        x = t.wte(ids) + t.wpe(torch.arange(ids.shape[1]))
        for b in t.h:
            x = b(x)
        return self.lm_head(t.ln_f(x))

    def saved(self):
        return self.state_dict()

    def load(self, sd):
        self.load_state_dict(sd, strict=True)


# --- recurrent LM: nn.Embedding + nn.LSTM / nn.GRU / nn.RNN + nn.Linear ----


class RecurrentLM(nn.Module):
    CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

    def __init__(self, cell, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = self.CELLS[cell](embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        y, _ = self.rnn(self.embedding(ids))
        return self.head(y)

    def saved(self):
        return self.state_dict()

    def load(self, sd):
        self.load_state_dict(sd, strict=True)


# --- building from sizes or from a state_dict's shapes ---------------------


def build(arch, a):
    if arch == "hf-gpt2":
        return HFGPT2LMHeadModel(a["vocab"], a["ctx"], a["dim"], a["heads"], a["layers"], a.get("hidden", 4 * a["dim"]))
    if arch == "nanogpt":
        return NanoGPT(a["vocab"], a["ctx"], a["dim"], a["heads"], a["layers"], bool(a.get("bias", 1)))
    return RecurrentLM(arch, a["vocab"], a["dim"], a["hidden"], a["layers"])


def sizes_of(arch, sd, heads):
    if arch in ("hf-gpt2", "nanogpt"):
        p = "transformer."
        vocab, dim = sd[p + "wte.weight"].shape
        layers = len({k.split(".")[2] for k in sd if k.startswith(p + "h.")})
        fc = sd[p + "h.0.mlp.c_fc.weight"].shape
        return dict(vocab=vocab, ctx=sd[p + "wpe.weight"].shape[0], dim=dim, heads=heads, layers=layers,
                    hidden=fc[1] if arch == "hf-gpt2" else fc[0], bias=int(p + "h.0.attn.c_attn.bias" in sd))
    vocab, dim = sd["embedding.weight"].shape
    layers = len([k for k in sd if k.startswith("rnn.weight_hh_l")])
    return dict(vocab=vocab, dim=dim, hidden=sd["rnn.weight_hh_l0"].shape[1], layers=layers)


def randomize(model, gen):
    """Weights far from any symmetry: a transposed square matrix or a
    swapped query and key would change the logits."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[-1]) * 4)


def run(model, io):
    model.eval()
    with torch.no_grad():
        logits = model(io["ids"].long())
    out = {"logits": logits.float()}
    if "targets" in io:
        v = logits.shape[-1]
        out["loss"] = F.cross_entropy(logits.reshape(-1, v), io["targets"].long().reshape(-1)).reshape(1)
    return out


def options(argv):
    a = {}
    for k, v in zip(argv[::2], argv[1::2]):
        a[k.lstrip("-")] = int(v)
    return a


def main():
    torch.set_num_threads(1)
    cmd, arch = sys.argv[1], sys.argv[2]
    if cmd == "random":
        out_w, out_io = sys.argv[3], sys.argv[4]
        a = options(sys.argv[5:])
        gen = torch.Generator().manual_seed(a.get("seed", 1))
        model = build(arch, a)
        randomize(model, gen)
        B, T = a.get("batch", 2), a.get("steps", a.get("ctx", 8))
        ids = torch.randint(0, a["vocab"], (B, T), generator=gen)
        targets = torch.randint(0, a["vocab"], (B, T), generator=gen)
        io = {"ids": ids, "targets": targets}
        io.update(run(model, io))
        write_safetensors(out_w, model.saved(), {"format": "pt"})
        write_safetensors(out_io, io)
    elif cmd == "logits":
        weights, io_path, out = sys.argv[3], sys.argv[4], sys.argv[5]
        a = options(sys.argv[6:])
        sd, _ = read_safetensors(weights)
        model = build(arch, sizes_of(arch, sd, a.get("heads", 0)))
        model.load(sd)
        io, _ = read_safetensors(io_path)
        write_safetensors(out, run(model, io))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
