#!/usr/bin/env python3
"""Writes Tests/TensorTests/Fixtures/safetensors/reference.safetensors with the reference
implementation (Hugging Face `safetensors`, Rust core), for SafeTensorsTests to read value by value.

    pip install safetensors numpy
    python3 Scripts/make_safetensors_fixture.py

Cross-check of our writer against the reference reader (prints what Python sees):

    LIKENESS_EXPORT_SAFETENSORS=/tmp/ours.safetensors swift test -c release -Xswiftc -enable-testing \
        --filter SafeTensorsTests.testRoundTripAllDTypes
    python3 Scripts/make_safetensors_fixture.py --check /tmp/ours.safetensors

The values below are repeated in Tests/TensorTests/SafeTensorsTests.swift; change both together.
"""
import os

import numpy as np
from safetensors import TensorSpec, serialize
from safetensors.numpy import save

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TensorTests", "Fixtures",
                   "safetensors")

tensors = {
    "weights": np.array([[1.5, -2.25, 3.0e-8], [65504.0, -0.0, np.inf]], dtype=np.float32),
    "half": np.array([1.0, -0.5, 6.103515625e-05, 65504.0], dtype=np.float16),
    "ints32": np.array([[-2147483648, -1], [0, 2147483647]], dtype=np.int32),
    "ints64": np.array([-9223372036854775808, 0, 9223372036854775807], dtype=np.int64),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "scalar": np.array(42.0, dtype=np.float32),
}
metadata = {"format": "np", "note": "Likeness fixture — ünïcode \"quoted\""}


def main():
    os.makedirs(OUT, exist_ok=True)
    # Everything numpy can express goes through the public numpy API...
    with open(os.path.join(OUT, "reference.safetensors"), "wb") as f:
        f.write(save(tensors, metadata=metadata))
    # ...and BF16 (which numpy lacks) through the low-level serializer: 1.0, -2.0, 3.140625.
    bf16 = np.array([0x3F80, 0xC000, 0x4049], dtype=np.uint16)
    specs = {"brain": TensorSpec(dtype="bfloat16", shape=[3], data_ptr=bf16.ctypes.data, data_len=bf16.nbytes)}
    with open(os.path.join(OUT, "bf16.safetensors"), "wb") as f:
        f.write(bytes(serialize(specs, metadata=None)))
    print("wrote", os.path.normpath(OUT))


def check(path):
    from safetensors import safe_open
    with safe_open(path, framework="numpy") as f:
        print("metadata:", f.metadata())
        for name in f.keys():
            try:
                t = f.get_tensor(name)
                print(name, t.dtype, t.shape, t.reshape(-1).tolist())
            except TypeError:  # numpy has no bfloat16
                print(name, f.get_slice(name).get_dtype(), f.get_slice(name).get_shape())


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
