#!/usr/bin/env python3
"""Produce the golden fixture of the FaceRecognition tests from dlib's own Python bindings.

A development aid, not a runtime dependency:
  pip install dlib-bin==20.0.1.post1 numpy pillow face-recognition-models==0.3.0
Usage:  Scripts/make_face_recognition_reference.py [../shared]

Writes Tests/FaceRecognitionTests/Fixtures/dlib_face_descriptor_reference.json (derived numbers
only, never images):
  synthetic: two 150x150 RGB chips defined by a formula (recomputed by the Swift test) and dlib's
      128-d descriptors of them (compute_face_descriptor on an aligned chip): the network alone,
      testable without ../shared.
  photos: for photos of data/samples, data/people/george-w-bush and data/faces-300w/afw, the box
      (dlib's HOG detection, upsampled once, the largest), dlib's 68 points on it (integers),
      dlib's chip details (get_face_chip_details, 150, padding 0.25: rect and angle), the
      sha256 of dlib's chip pixels (get_face_chip, RGB bytes row-major) and dlib's descriptor
      (compute_face_descriptor(img, shape), i.e. chip extraction and network together).
"""
import glob
import hashlib
import json
import os
import sys

import dlib
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
import face_recognition_models
MODEL = os.path.join(os.path.dirname(face_recognition_models.__file__), "models",
                     "dlib_face_recognition_resnet_model_v1.dat")
PREDICTOR = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
OUT = os.path.join(ROOT, "Tests", "FaceRecognitionTests", "Fixtures", "dlib_face_descriptor_reference.json")


def synthetic_chip(k):
    """pixel (x, y, c) = (x*(3+k) + y*(5+2k) + c*71 + (x*y) % (17+k)) mod 256."""
    y, x, c = np.meshgrid(np.arange(150), np.arange(150), np.arange(3), indexing="ij")
    return ((x * (3 + k) + y * (5 + 2 * k) + c * 71 + (x * y) % (17 + k)) % 256).astype(np.uint8)


def main():
    rec = dlib.face_recognition_model_v1(MODEL)
    sp = dlib.shape_predictor(PREDICTOR)
    det = dlib.get_frontal_face_detector()
    synthetic = []
    for k in range(2):
        chip = synthetic_chip(k)
        synthetic.append({"k": k, "descriptor": [float(v) for v in rec.compute_face_descriptor(chip)]})
    files = sorted(glob.glob(os.path.join(SHARED, "data/samples/*.jpg")) + glob.glob(os.path.join(SHARED, "data/samples/*.png")))
    files += sorted(glob.glob(os.path.join(SHARED, "data/people/george-w-bush/*.jpg")))[:6]
    files += sorted(glob.glob(os.path.join(SHARED, "data/faces-300w/afw/*.jpg")))[:6]
    photos = []
    for path in files:
        rgb = np.array(Image.open(path).convert("RGB"))
        dets = det(rgb, 1)
        if not dets:
            continue
        d = max(dets, key=lambda r: r.area())
        shape = sp(rgb, d)
        points = [[shape.part(i).x, shape.part(i).y] for i in range(68)]
        details = dlib.get_face_chip_details(shape, 150, 0.25)
        chip = np.ascontiguousarray(dlib.get_face_chip(rgb, shape, 150, 0.25))
        descriptor = rec.compute_face_descriptor(rgb, shape)
        r = details.rect
        photos.append({
            "file": os.path.relpath(path, SHARED),
            "box": [d.left(), d.top(), d.right(), d.bottom()],
            "landmarks": points,
            "chip_rect": [r.left(), r.top(), r.right(), r.bottom()],
            "chip_angle": details.angle,
            "chip_sha256": hashlib.sha256(chip.tobytes()).hexdigest(),
            "descriptor": [float(v) for v in descriptor],
        })
        print(photos[-1]["file"], rgb.shape, "rect width %.1f" % (r.right() - r.left() + 1))
    with open(OUT, "w") as f:
        json.dump({"dlib": dlib.__version__, "model": os.path.basename(MODEL), "synthetic": synthetic, "photos": photos}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
