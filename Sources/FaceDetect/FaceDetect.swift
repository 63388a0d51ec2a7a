// The FaceDetect module: every photo is found, landmarked and cropped here before reconstruction,
// and every landmark accuracy figure of the project (the paper's Table 1) is computed here.
//
// Pipeline (`FaceFrontEnd`):
//   photo ─ `FaceDetector` (MediaPipe's BlazeFace CNN on the Tensor engine, `BlazeFace`, its box
//   and keypoints mapped to dlib's HOG box by `KeypointBoxMapping`; or, with `haar()`, OpenCV
//   Haar cascades, `CascadeDetector`, mapped by `BoxMapping`; ranked by size × visible fraction ×
//   centrality) ─ gray (dlib's (r+g+b)/3)
//   ─ `FaceFrontEnd.choose` (typed `FaceRejection`s) ─ `ShapePredictor` (dlib's 68-point ERT
//   cascade) ─ `FaceAligner` (256×256 similarity crop) + `SkinMask`.
//
// Conventions:
//   - Coordinates are 0-based pixel centres: (0, 0) is the centre of the top-left pixel. 300-W
//     `.pts` files are 1-based; `PtsFormat` converts on read and write.
//   - `FaceBox` has dlib's inclusive corners (width = right − left + 1).
//   - Landmarks follow the iBUG 68-point order: 0–16 jaw line, 17–26 brows, 27–35 nose,
//     36–47 eyes, 48–67 mouth.
//   - Models: BlazeFace short range ships in `Resources/` (Apache-2.0, converted by
//     `Scripts/convert_blazeface.py`); the rest come from Debian packages: `libdlib-data`
//     (shape_predictor_68_face_landmarks.dat) and `opencv-data` (haarcascade_frontalface_*.xml).
