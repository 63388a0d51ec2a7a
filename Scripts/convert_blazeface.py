#!/usr/bin/env python3
"""Convert MediaPipe's BlazeFace short-range face detector (.tflite) to safetensors.

A development aid, not a runtime dependency:  pip install mediapipe==0.10.21 tflite numpy
Usage:  Scripts/convert_blazeface.py [path/to/face_detection_short_range.tflite]
        (default: the model inside the installed mediapipe wheel)

Writes Sources/FaceDetect/Resources/blazeface_short_range.safetensors: every convolution's
weight and bias as float32 (the .tflite stores them as float16 behind DEQUANTIZE ops), named
after the TFLite layer ("conv2d", "depthwise_conv2d_3", "classificator_8", ...) with suffixes
".weight" / ".bias", in NCHW layouts:
    conv       [O, C, kh, kw]   (TFLite [O, kh, kw, C])
    depthwise  [C, 1, kh, kw]   (TFLite [1, kh, kw, C])
The architecture itself (16 BlazeBlocks, strides, the two heads) is checked here against the
graph and written out in Swift (Sources/FaceDetect/BlazeFace.swift).

Licence: the model is Apache-2.0 (MediaPipe, Google LLC); see Sources/FaceDetect/Resources/
BLAZEFACE_LICENSE and BLAZEFACE_MODEL_CARD.md.
"""
import json
import os
import struct
import sys

import numpy as np
import tflite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "FaceDetect", "Resources", "blazeface_short_range.safetensors")
OPS = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}
STRIDE2_BLOCKS = {2, 5, 11}   # the blocks that halve the resolution (with a max-pooled skip)


def default_model():
    import mediapipe
    return os.path.join(os.path.dirname(mediapipe.__file__), "modules", "face_detection",
                        "face_detection_short_range.tflite")


def tensor_array(model, graph, index):
    t = graph.Tensors(index)
    data = model.Buffers(t.Buffer()).DataAsNumpy()
    dtype = {0: np.float32, 1: np.float16}[t.Type()]
    return np.frombuffer(data.tobytes(), dtype=dtype).reshape(t.ShapeAsNumpy()).astype(np.float32)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else default_model()
    buf = open(path, "rb").read()
    model = tflite.Model.GetRootAsModel(buf, 0)
    graph = model.Subgraphs(0)
    # DEQUANTIZE outputs → their float16 source tensors.
    source = {}
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = OPS[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        if name == "DEQUANTIZE":
            source[op.Outputs(0)] = op.Inputs(0)
        else:
            ops.append((name, op))
    tensors = {}
    depthwise_strides = []
    for name, op in ops:
        if name not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        out_name = graph.Tensors(op.Outputs(0)).Name().decode()
        w = tensor_array(model, graph, source.get(op.Inputs(1), op.Inputs(1)))
        b = tensor_array(model, graph, source.get(op.Inputs(2), op.Inputs(2)))
        opts = op.BuiltinOptions()
        if name == "CONV_2D":
            o = tflite.Conv2DOptions(); o.Init(opts.Bytes, opts.Pos)
            w = w.transpose(0, 3, 1, 2)
        else:
            o = tflite.DepthwiseConv2DOptions(); o.Init(opts.Bytes, opts.Pos)
            assert o.DepthMultiplier() == 1
            w = w.transpose(3, 0, 1, 2)
            depthwise_strides.append(o.StrideH())
        assert o.FusedActivationFunction() == 0, out_name
        tensors[out_name + ".weight"] = np.ascontiguousarray(w)
        tensors[out_name + ".bias"] = np.ascontiguousarray(b)
    assert len(depthwise_strides) == 16
    assert {i for i, s in enumerate(depthwise_strides) if s == 2} == STRIDE2_BLOCKS, depthwise_strides
    write_safetensors(OUT, tensors, {"source": os.path.basename(path), "licence": "Apache-2.0 (MediaPipe)"})
    n = sum(t.size for t in tensors.values())
    print("wrote %s: %d tensors, %d parameters" % (OUT, len(tensors), n))


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        data = tensors[name].astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


if __name__ == "__main__":
    main()
