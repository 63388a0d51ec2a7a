#!/usr/bin/env python3
"""Produce the golden fixtures of the FaceDetect tests from dlib's own Python bindings.

A development aid, not a runtime dependency:  pip install dlib-bin numpy pillow
Usage:  Scripts/make_dlib_reference.py [../shared]

Writes (derived numbers only, never images):
  Tests/FaceDetectTests/Fixtures/dlib_shape_reference.json
      for the 5 photos of data/samples and the first 30 crops (sorted by name) of
      data/faces-300w/afw: the box given to dlib's 68-point shape predictor and dlib's
      68 predicted points (dlib rounds them to integer pixels, 0-based).
      The box is dlib's HOG detection that best overlaps the annotated landmark box
      (IoU >= 0.3) when there is one, otherwise the annotated landmark bounding box.
  Tests/FaceDetectTests/Fixtures/dlib_hog_boxes_300w.json
      dlib's HOG frontal-face detections (upsampled once, as in dlib's examples) on every
      image of faces-300w/afw and faces-300w/helen-train, as [left, top, right, bottom]
      (dlib's inclusive corners), used to fit the map from our detector's boxes to dlib's
      box convention, and dlib's own recall/time as a reference figure.

dlib's gray value of an RGB pixel is (r + g + b) / 3 (integer division); the script checks that
feeding that gray image gives the same points as feeding RGB, so the Swift side can use it.
"""
import glob
import json
import os
import sys
import time

import dlib
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
MODEL = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
FIXTURES = os.path.join(ROOT, "Tests", "FaceDetectTests", "Fixtures")


def read_pts(path):
    """300-W .pts: 1-based coordinates; returned 0-based."""
    lines = open(path).read().split("{")[1].split("}")[0].split()
    v = np.array([float(x) for x in lines]).reshape(-1, 2)
    return v - 1.0


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = ix * iy
    area = lambda r: (r[2] - r[0] + 1) * (r[3] - r[1] + 1)
    return inter / float(area(a) + area(b) - inter)


def image_for(pts_path):
    stem = pts_path[:-4]
    for ext in (".jpg", ".png", ".jpeg"):
        if os.path.exists(stem + ext):
            return stem + ext
    return None


def load_rgb(path):
    return np.array(Image.open(path).convert("RGB"))


def main():
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(MODEL)

    # 1. Golden shape-predictor outputs.
    pts_files = sorted(glob.glob(os.path.join(SHARED, "data/samples/*.pts")))
    pts_files += sorted(glob.glob(os.path.join(SHARED, "data/faces-300w/afw/*.pts")))[:30]
    cases = []
    for pts_path in pts_files:
        img_path = image_for(pts_path)
        rgb = load_rgb(img_path)
        gt = read_pts(pts_path)
        lm_box = [int(round(gt[:, 0].min())), int(round(gt[:, 1].min())),
                  int(round(gt[:, 0].max())), int(round(gt[:, 1].max()))]
        dets = [(d.left(), d.top(), d.right(), d.bottom()) for d in detector(rgb, 1)]
        best = max(dets, key=lambda d: iou(d, lm_box), default=None)
        box = list(best) if best is not None and iou(best, lm_box) >= 0.3 else lm_box
        rect = dlib.rectangle(*box)
        shape = predictor(rgb, rect)
        points = [[p.x, p.y] for p in shape.parts()]
        gray = (rgb.astype(np.int32).sum(axis=2) // 3).astype(np.uint8)
        gray_points = [[p.x, p.y] for p in predictor(gray, rect).parts()]
        assert gray_points == points, "dlib's gray conversion is not (r+g+b)/3"
        rel = os.path.relpath(img_path, SHARED)
        cases.append({"image": rel, "box": box, "points": points})
        print(rel, box, "hog" if box != lm_box else "landmark box")
    with open(os.path.join(FIXTURES, "dlib_shape_reference.json"), "w") as f:
        json.dump({"model": os.path.basename(MODEL), "cases": cases}, f, separators=(",", ":"))

    # 2. dlib's HOG boxes over faces-300w.
    boxes = {}
    seconds = 0.0
    for subset in ("afw", "helen-train"):
        for pts_path in sorted(glob.glob(os.path.join(SHARED, "data/faces-300w", subset, "*.pts"))):
            img_path = image_for(pts_path)
            rgb = load_rgb(img_path)
            t0 = time.perf_counter()
            dets = detector(rgb, 1)
            seconds += time.perf_counter() - t0
            boxes[os.path.relpath(img_path, SHARED)] = [[d.left(), d.top(), d.right(), d.bottom()] for d in dets]
    with open(os.path.join(FIXTURES, "dlib_hog_boxes_300w.json"), "w") as f:
        json.dump(boxes, f, separators=(",", ":"), sort_keys=True)
    print("dlib HOG: %d images, %.1f ms/image" % (len(boxes), 1000 * seconds / len(boxes)))


if __name__ == "__main__":
    main()
