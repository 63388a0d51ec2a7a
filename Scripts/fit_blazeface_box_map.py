#!/usr/bin/env python3
"""Fit the map from BlazeFace's box and 6 keypoints to dlib's HOG box (FaceDetector.blazeFaceKeypointMapping).

A development aid:  pip install mediapipe==0.10.21 numpy pillow
Usage:  Scripts/fit_blazeface_box_map.py [../shared]

BlazeFace's box stays centred on the head as it turns; dlib's 68-point model was trained on HOG
boxes that follow the face (eyes, nose, mouth). A constant shift and scale (BoxMapping) leaves a
residual of 0.11 box widths in the horizontal centre on afw; a linear map of the keypoints leaves
0.03. With c the BlazeFace box centre, w its width and k_i = (keypoint_i - c)/w:
    [dx, dy, sw, sh] = W · [1, k_0x, k_0y, ..., k_5x, k_5y]
    dlib box: centre c + (dx·w, dy·w), size (sw·w, sh·w).
W is the least-squares fit over the faces of faces-300w afw + helen-train that both detectors
find (IoU >= 0.5 of the BlazeFace box with dlib's box from
Tests/FaceDetectTests/Fixtures/dlib_hog_boxes_300w.json). MediaPipe's detections are used: the
Swift BlazeFace matches them to 0.15 % of the box width (BlazeFaceTests). Prints the Swift
constant and the residuals (fit on helen-train, measured on afw).
"""
import glob
import json
import os
import sys

import mediapipe as mp
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
HOG = os.path.join(ROOT, "Tests", "FaceDetectTests", "Fixtures", "dlib_hog_boxes_300w.json")


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def features(box, keypoints):
    w = box[2] - box[0]
    c = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    return np.concatenate([[1.0], ((np.array(keypoints) - c) / w).ravel()]), c, w


def main():
    hog = json.load(open(HOG))
    detector = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5)
    X, Y, subset = [], [], []
    for sub in ("afw", "helen-train"):
        for pts in sorted(glob.glob(os.path.join(SHARED, "data/faces-300w", sub, "*.pts"))):
            img = next(pts[:-4] + e for e in (".jpg", ".png") if os.path.exists(pts[:-4] + e))
            rgb = np.array(Image.open(img).convert("RGB"))
            h, w = rgb.shape[:2]
            g = np.array(open(pts).read().split("{")[1].split("}")[0].split(), float).reshape(-1, 2) - 1
            truth = [g[:, 0].min(), g[:, 1].min(), g[:, 0].max(), g[:, 1].max()]
            found = []
            for d in detector.process(rgb).detections or []:
                b = d.location_data.relative_bounding_box
                box = [b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h]
                found.append((box, [(k.x * w, k.y * h) for k in d.location_data.relative_keypoints]))
            if not found:
                continue
            box, kps = max(found, key=lambda f: iou(f[0], truth))
            # dlib's inclusive corners → continuous edges.
            refs = [[r[0], r[1], r[2] + 1, r[3] + 1] for r in hog.get(os.path.relpath(img, SHARED), [])]
            ref = max(refs, key=lambda r: iou(r, box), default=None)
            if ref is None or iou(ref, box) < 0.5:
                continue
            f, c, bw = features(box, kps)
            X.append(f)
            Y.append([((ref[0] + ref[2]) / 2 - c[0]) / bw, ((ref[1] + ref[3]) / 2 - c[1]) / bw,
                      (ref[2] - ref[0]) / bw, (ref[3] - ref[1]) / bw])
            subset.append(sub)
    X, Y, subset = np.array(X), np.array(Y), np.array(subset)
    train, test = subset == "helen-train", subset == "afw"
    for name, cols in (("constant", [0]), ("keypoints", list(range(13)))):
        W = np.linalg.lstsq(X[train][:, cols], Y[train], rcond=None)[0]
        res = Y[test] - X[test][:, cols] @ W
        print("%-9s fit on helen-train, rms residual on afw (dx dy sw sh):" % name, np.sqrt((res ** 2).mean(0)).round(4))
    W = np.linalg.lstsq(X, Y, rcond=None)[0].T
    print("fitted on %d faces" % len(X))
    rows = ",\n".join("        [" + ", ".join("%.4f" % v for v in row) + "]" for row in W)
    print("    public static let blazeFaceKeypointMapping = KeypointBoxMapping(coefficients: [\n" + rows + ",\n    ])")


if __name__ == "__main__":
    main()
