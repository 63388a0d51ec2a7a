#!/usr/bin/env python3
"""Converts a train-base or train-details run's best.safetensors (F32) to the shipped F16 file, keeping the
metadata (configuration, step) and recording the dtype; prints the sha256 for the model card.

    Scripts/ship_base_model.py RUN/best.safetensors Sources/ShippedModels/base/coarse-encoder.safetensors
"""
import hashlib, json, struct, sys
import numpy as np

def main(src, dst):
    with open(src, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    meta = header.pop("__metadata__", {})
    meta["dtype"] = "F16"
    out, chunks, offset = {"__metadata__": meta}, [], 0
    for name in sorted(header):
        info = header[name]
        assert info["dtype"] == "F32", f"{name}: {info['dtype']}"
        a, b = info["data_offsets"]
        data = np.frombuffer(body[a:b], dtype="<f4").astype("<f2").tobytes()
        out[name] = {"dtype": "F16", "shape": info["shape"], "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(out, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    blob = struct.pack("<Q", len(text)) + text + b"".join(chunks)
    with open(dst, "wb") as f:
        f.write(blob)
    print(f"{dst}: {len(blob) / 1e6:.1f} MB, step {meta.get('step')}, sha256 {hashlib.sha256(blob).hexdigest()}")

if __name__ == "__main__":
    main(*sys.argv[1:3])
