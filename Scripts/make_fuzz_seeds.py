#!/usr/bin/env python3
"""Writes the small seed corpus for the libFuzzer targets in Fuzz/ (committed under Fuzz/Seeds/).

Images come from Pillow (+ pillow-heif for HEIC), safetensors files from the reference
`safetensors` package, so the fuzzer starts from files made by independent implementations.

    pip install pillow pillow-heif safetensors numpy
    python3 Scripts/make_fuzz_seeds.py
"""
import io
import os

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "Seeds")


def rgb(w=12, h=8):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 20 % 256, y * 30 % 256, (x + y) * 10 % 256], axis=-1).astype(np.uint8)


def exif_with_orientation(o):
    exif = Image.Exif()
    exif[0x0112] = o
    return exif.tobytes()


def images(out):
    os.makedirs(out, exist_ok=True)
    base = Image.fromarray(rgb())
    seeds = {
        "gray.png": (base.convert("L"), "PNG", {}),
        "gray_alpha.png": (base.convert("LA"), "PNG", {}),
        "rgb.png": (base, "PNG", {}),
        "rgba.png": (base.convert("RGBA"), "PNG", {}),
        "palette.png": (base.convert("P", palette=Image.ADAPTIVE, colors=8), "PNG", {"transparency": 0}),
        "gray16.png": (Image.fromarray((rgb()[..., 0].astype(np.uint16) * 257)), "PNG", {}),
        "baseline.jpg": (base, "JPEG", {"quality": 80}),
        "progressive.jpg": (base, "JPEG", {"quality": 80, "progressive": True}),
        "gray.jpg": (base.convert("L"), "JPEG", {"quality": 80}),
        "cmyk.jpg": (base.convert("CMYK"), "JPEG", {"quality": 80}),
        "exif6.jpg": (base, "JPEG", {"quality": 80, "exif": exif_with_orientation(6)}),
        "lossy.webp": (base, "WEBP", {"quality": 70}),
        "lossless.webp": (base.convert("RGBA"), "WEBP", {"lossless": True}),
    }
    for name, (img, fmt, kw) in seeds.items():
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        with open(os.path.join(out, name), "wb") as f:
            f.write(buf.getvalue())
    try:
        import pillow_heif
        pillow_heif.register_heif_opener()
        buf = io.BytesIO()
        Image.fromarray(rgb(16, 16)).save(buf, "HEIF", quality=50)
        with open(os.path.join(out, "small.heic"), "wb") as f:
            f.write(buf.getvalue())
    except ImportError:
        print("pillow-heif not installed: no HEIC seed")


def safetensors_seeds(out):
    from safetensors.numpy import save
    os.makedirs(out, exist_ok=True)
    tensors = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "f16": np.array([1.5, -2.0], dtype=np.float16),
        "i32": np.array([[-1, 2]], dtype=np.int32),
        "i64": np.array([7], dtype=np.int64),
    }
    with open(os.path.join(out, "mixed.safetensors"), "wb") as f:
        f.write(save(tensors, metadata={"format": "np"}))
    with open(os.path.join(out, "empty.safetensors"), "wb") as f:
        f.write(save({}))
    with open(os.path.join(out, "scalar.safetensors"), "wb") as f:
        f.write(save({"s": np.array(3.0, dtype=np.float32)}))


if __name__ == "__main__":
    images(os.path.join(ROOT, "image"))
    safetensors_seeds(os.path.join(ROOT, "safetensors"))
    print("seeds written to", os.path.normpath(ROOT))
