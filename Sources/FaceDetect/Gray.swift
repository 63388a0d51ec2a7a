import Imaging

extension Image {
    /// The one-channel intensity image FaceDetect works on, with dlib's definition of an RGB
    /// pixel's intensity, `(r + g + b) / 3` in integers (alpha ignored), so the 68-point model sees
    /// the values it was trained on. A gray image is returned as is (gray+alpha drops alpha).
    public func faceDetectGray() -> Image {
        if channels == 1 { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        let c = channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                if c <= 2 {
                    for i in 0..<dst.count { dst[i] = src[i * c] }
                } else {
                    for i in 0..<dst.count {
                        let s = Int(src[i * c]) + Int(src[i * c + 1]) + Int(src[i * c + 2])
                        dst[i] = UInt8(s / 3)
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }
}
