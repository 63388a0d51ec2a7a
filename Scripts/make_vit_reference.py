#!/usr/bin/env python3
"""Reference fixture for the Networks tests: a tiny ViT forward pass computed independently in
NumPy (timm/PyTorch conventions: conv patch embedding [D, C, p, p], qkv packed as (3, heads, d),
pre-LN blocks, LayerNorm eps 1e-6, tanh-form GELU), in float64.

Writes Tests/NetworksTests/Fixtures/vit_reference.safetensors holding the weights under their
timm names plus `input` [2, 3, 16, 16] and `expected_output` [2, 17, 16].

Usage: python3 Scripts/make_vit_reference.py   (needs numpy only)
"""
import json
import pathlib
import struct

import numpy as np

DIM, DEPTH, HEADS, PATCH, IMAGE, CHANNELS, MLP = 16, 2, 2, 4, 16, 3, 2
rng = np.random.default_rng(2024)


def weights():
    w = {}
    grid = IMAGE // PATCH
    w["patch_embed.proj.weight"] = rng.normal(0, 0.2, (DIM, CHANNELS, PATCH, PATCH))
    w["patch_embed.proj.bias"] = rng.normal(0, 0.1, DIM)
    w["cls_token"] = rng.normal(0, 0.5, (1, 1, DIM))
    w["pos_embed"] = rng.normal(0, 0.5, (1, grid * grid + 1, DIM))
    for i in range(DEPTH):
        p = f"blocks.{i}."
        for norm in ("norm1", "norm2"):
            w[p + norm + ".weight"] = 1 + rng.normal(0, 0.1, DIM)
            w[p + norm + ".bias"] = rng.normal(0, 0.1, DIM)
        for name, (o, n) in {"attn.qkv": (3 * DIM, DIM), "attn.proj": (DIM, DIM),
                             "mlp.fc1": (MLP * DIM, DIM), "mlp.fc2": (DIM, MLP * DIM)}.items():
            w[p + name + ".weight"] = rng.normal(0, 1 / np.sqrt(n), (o, n))
            w[p + name + ".bias"] = rng.normal(0, 0.1, o)
    w["norm.weight"] = 1 + rng.normal(0, 0.1, DIM)
    w["norm.bias"] = rng.normal(0, 0.1, DIM)
    return w


def layer_norm(x, g, b, eps=1e-6):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def conv_patch_embed(x, w, b):
    """Direct stride-p convolution, PyTorch layout; tokens in row-major grid order."""
    bsz, _, h, wd = x.shape
    gh, gw = h // PATCH, wd // PATCH
    out = np.zeros((bsz, gh * gw, DIM))
    for i in range(gh):
        for j in range(gw):
            window = x[:, :, i * PATCH:(i + 1) * PATCH, j * PATCH:(j + 1) * PATCH]
            out[:, i * gw + j] = np.einsum("bcyx,dcyx->bd", window, w) + b
    return out


def attention(x, w, p):
    bsz, t, d = x.shape
    hd = d // HEADS
    qkv = x @ w[p + "attn.qkv.weight"].T + w[p + "attn.qkv.bias"]
    qkv = qkv.reshape(bsz, t, 3, HEADS, hd).transpose(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
    s = np.exp(s - s.max(-1, keepdims=True))
    s /= s.sum(-1, keepdims=True)
    o = (s @ v).transpose(0, 2, 1, 3).reshape(bsz, t, d)
    return o @ w[p + "attn.proj.weight"].T + w[p + "attn.proj.bias"]


def forward(x, w):
    tokens = conv_patch_embed(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"])
    cls = np.broadcast_to(w["cls_token"], (x.shape[0], 1, DIM))
    h = np.concatenate([cls, tokens], axis=1) + w["pos_embed"]
    for i in range(DEPTH):
        p = f"blocks.{i}."
        h = h + attention(layer_norm(h, w[p + "norm1.weight"], w[p + "norm1.bias"]), w, p)
        m = layer_norm(h, w[p + "norm2.weight"], w[p + "norm2.bias"])
        m = gelu(m @ w[p + "mlp.fc1.weight"].T + w[p + "mlp.fc1.bias"]) @ w[p + "mlp.fc2.weight"].T + w[p + "mlp.fc2.bias"]
        h = h + m
    return layer_norm(h, w["norm.weight"], w["norm.bias"])


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    w = weights()
    w32 = {k: v.astype(np.float32).astype(np.float64) for k, v in w.items()}   # what Swift will load
    x = rng.uniform(0, 1, (2, CHANNELS, IMAGE, IMAGE)).astype(np.float32).astype(np.float64)
    out = forward(x, w32)
    tensors = dict(w32, input=x, expected_output=out)
    path = pathlib.Path(__file__).resolve().parent.parent / "Tests/NetworksTests/Fixtures/vit_reference.safetensors"
    write_safetensors(path, tensors)
    print(f"wrote {path} ({path.stat().st_size} bytes), output mean {out.mean():.6f}")


if __name__ == "__main__":
    main()
