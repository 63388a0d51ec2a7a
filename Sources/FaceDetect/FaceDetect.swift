// The FaceDetect module. See DEVELOPERS.md for what belongs here and which way dependencies flow.
