#!/usr/bin/env python3
"""Golden fixture of the cascade detector: OpenCV's own detectMultiScale on 300-W crops.

A development aid, not a runtime dependency:  pip install "opencv-python-headless<5" numpy pillow
(OpenCV 5 dropped CascadeClassifier from the main module.)
Usage:  Scripts/make_opencv_reference.py [../shared]

Writes Tests/FaceDetectTests/Fixtures/opencv_cascade_reference.json: for the first 15 crops
(sorted by name) of data/faces-300w/afw and two frontal-face cascades of Debian's opencv-data,
OpenCV's grouped detections [x, y, width, height, neighbours] with scaleFactor 1.1,
minNeighbors 3, minSize 40, on the gray image FaceDetect uses ((r + g + b) / 3, dlib's intensity),
so both sides see the same pixels.
"""
import glob
import json
import os
import sys

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
CASCADES = ["/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
            "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml"]


def main():
    cv2.setNumThreads(1)
    images = sorted(glob.glob(os.path.join(SHARED, "data/faces-300w/afw/*.jpg")))[:15]
    out = {"scaleFactor": 1.1, "minNeighbors": 3, "minSize": 40, "cascades": {}}
    for path in CASCADES:
        classifier = cv2.CascadeClassifier(path)
        per_image = {}
        for image in images:
            rgb = np.array(Image.open(image).convert("RGB")).astype(np.int32)
            gray = (rgb.sum(axis=2) // 3).astype(np.uint8)
            rects, neighbours = classifier.detectMultiScale2(gray, scaleFactor=1.1, minNeighbors=3, minSize=(40, 40))
            per_image[os.path.relpath(image, SHARED)] = [[int(v) for v in r] + [int(n)] for r, n in zip(rects, neighbours)]
        out["cascades"][os.path.basename(path)] = per_image
    with open(os.path.join(ROOT, "Tests/FaceDetectTests/Fixtures/opencv_cascade_reference.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"), sort_keys=True)
    print("cv2", cv2.__version__, "images", len(images))


if __name__ == "__main__":
    main()
