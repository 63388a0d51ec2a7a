#!/usr/bin/env python3
"""Produce the BlazeFace golden fixtures of the FaceDetect tests from MediaPipe itself.

A development aid, not a runtime dependency:
    pip install mediapipe==0.10.21 tflite-runtime numpy pillow
Usage:  Scripts/make_blazeface_reference.py [../shared]

Writes Tests/FaceDetectTests/Fixtures/blazeface_reference.json (derived numbers only):
  "network": the raw outputs of face_detection_short_range.tflite (TFLite's own interpreter) on
      a synthetic 128×128 input, x[y][x][c] = 0.9·sin(0.071·x + 0.113·y + 1.7·c) (NHWC in [-1, 1]):
      all 896 classificator logits and the 16 regressor values of every 37th anchor.
  "detections": for the photos of data/samples, MediaPipe's FaceDetection solution
      (model_selection=0, min_detection_confidence=0.5): per face the box
      [xmin, ymin, width, height] in pixels, the score and the 6 keypoints in pixels.
The script also runs its own numpy decoding (letterbox, anchors, weighted NMS, as
Sources/FaceDetect/BlazeFace.swift does) on TFLite's outputs and prints the largest difference
from MediaPipe's detections, to show the conventions agree.
"""
import glob
import json
import os
import sys

import mediapipe as mp
import numpy as np
from PIL import Image
from tflite_runtime.interpreter import Interpreter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
FIXTURES = os.path.join(ROOT, "Tests", "FaceDetectTests", "Fixtures")
MODEL = os.path.join(os.path.dirname(mp.__file__), "modules", "face_detection", "face_detection_short_range.tflite")
SIZE = 128


def synthetic_input():
    y, x, c = np.meshgrid(np.arange(SIZE), np.arange(SIZE), np.arange(3), indexing="ij")
    return (0.9 * np.sin(0.071 * x + 0.113 * y + 1.7 * c)).astype(np.float32)


def run_network(interp, nhwc):
    interp.set_tensor(interp.get_input_details()[0]["index"], nhwc[None])
    interp.invoke()
    out = {d["name"]: interp.get_tensor(d["index"])[0] for d in interp.get_output_details()}
    return out["regressors"], out["classificators"][:, 0]


def anchors():
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for gy in range(grid):
            for gx in range(grid):
                out += [((gx + 0.5) / grid, (gy + 0.5) / grid)] * per_cell
    return np.array(out)


def letterbox(rgb):
    """MediaPipe's ImageToTensor with keep_aspect_ratio: the square of side max(W, H) centred on
    the photo maps corner to corner onto the 128×128 input (OpenCV's warp, so input pixel u reads
    photo x = x₀ + u·side/128), bilinear, each tap outside the photo black (-1 after scaling)."""
    h, w = rgb.shape[:2]
    side = max(w, h)
    step = side / SIZE
    x0, y0 = (w - side) / 2, (h - side) / 2
    img = rgb.astype(np.float32) / 127.5 - 1
    padded = np.full((h + 2, w + 2, 3), -1, np.float32)
    padded[1:-1, 1:-1] = img
    out = np.empty((SIZE, SIZE, 3), np.float32)
    xs, ys = x0 + np.arange(SIZE) * step, y0 + np.arange(SIZE) * step
    for yi, yy in enumerate(ys):
        for xi, xx in enumerate(xs):
            fx, fy = np.floor(xx), np.floor(yy)
            ax, ay = xx - fx, yy - fy
            acc = np.zeros(3, np.float32)
            for dy, wy in ((0, 1 - ay), (1, ay)):
                for dx, wx in ((0, 1 - ax), (1, ax)):
                    px, py = int(fx) + dx + 1, int(fy) + dy + 1
                    inside = 0 <= px < w + 2 and 0 <= py < h + 2
                    acc += wy * wx * (padded[py, px] if inside else -1)
            out[yi, xi] = acc
    return out, 1 / step, -x0 / step, -y0 / step


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0


def decode(reg, logits, threshold=0.5, nms=0.3):
    anc = anchors()
    scores = 1 / (1 + np.exp(-np.clip(logits, -100, 100)))
    cands = []
    for i in np.nonzero(scores >= threshold)[0]:
        r = reg[i] / SIZE
        cx, cy = r[0] + anc[i, 0], r[1] + anc[i, 1]
        box = [cx - r[2] / 2, cy - r[3] / 2, cx + r[2] / 2, cy + r[3] / 2]
        kps = [(r[4 + 2 * k] + anc[i, 0], r[5 + 2 * k] + anc[i, 1]) for k in range(6)]
        cands.append((scores[i], np.array(box + [c for p in kps for c in p])))
    cands.sort(key=lambda c: -c[0])
    out = []
    while cands:
        top = cands[0]
        group = [c for c in cands if iou(top[1], c[1]) > nms]
        cands = [c for c in cands if iou(top[1], c[1]) <= nms]
        wsum = sum(c[0] for c in group)
        out.append((top[0], sum(c[0] * c[1] for c in group) / wsum))
    return out


def main():
    interp = Interpreter(model_path=MODEL)
    interp.allocate_tensors()
    reg, logits = run_network(interp, synthetic_input())
    network = {"logits": logits.tolist(), "regressorStride": 37,
               "regressors": [reg[i].tolist() for i in range(0, len(reg), 37)]}

    solution = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5)
    cases = []
    worst = 0.0
    for path in sorted(glob.glob(os.path.join(SHARED, "data/samples/*"))):
        if path.endswith(".pts"):
            continue
        rgb = np.array(Image.open(path).convert("RGB"))
        h, w = rgb.shape[:2]
        faces = []
        for d in solution.process(rgb).detections or []:
            b = d.location_data.relative_bounding_box
            kps = [[k.x * w, k.y * h] for k in d.location_data.relative_keypoints]
            faces.append({"box": [b.xmin * w, b.ymin * h, b.width * w, b.height * h],
                          "score": d.score[0], "keypoints": kps})
        # Our own pipeline on TFLite's outputs, for the printed agreement check.
        inp, s, ox, oy = letterbox(rgb)
        ours = decode(*run_network(interp, inp))
        for f in faces:
            x0, y0, bw, bh = f["box"]
            best = min(ours, key=lambda o: abs((o[1][0] * SIZE - ox) / s - x0) + abs((o[1][1] * SIZE - oy) / s - y0), default=None)
            if best is not None:
                mine = [(best[1][0] * SIZE - ox) / s, (best[1][1] * SIZE - oy) / s,
                        (best[1][2] - best[1][0]) * SIZE / s, (best[1][3] - best[1][1]) * SIZE / s]
                worst = max(worst, max(abs(a - b) / max(bw, 1) for a, b in zip(mine, f["box"])))
        rel = os.path.relpath(path, SHARED)
        cases.append({"image": rel, "width": w, "height": h, "faces": faces})
        print(rel, len(faces), "faces", [round(f["score"], 3) for f in faces], "ours:", len(ours))
    print("largest box difference, numpy pipeline vs MediaPipe: %.4f of the box width" % worst)
    with open(os.path.join(FIXTURES, "blazeface_reference.json"), "w") as f:
        json.dump({"model": os.path.basename(MODEL), "network": network, "detections": cases}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
