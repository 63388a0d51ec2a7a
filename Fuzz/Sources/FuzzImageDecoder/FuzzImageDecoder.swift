import CFuzzDriver
import Foundation
import Imaging

/// One fuzz input: the header probe and the full decoders (with a 4-Mpixel limit so a legitimately
/// large header cannot exhaust the fuzzer's memory). A thrown `ImageError` is the expected outcome
/// for garbage; a crash, sanitizer report or leak is a bug.
func fuzzImageDecoder(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    let limits = DecodeLimits(maxPixels: 4_000_000)
    _ = try? ImageDecoder.probe(data)
    if let image = try? ImageDecoder.decode(data, limits: limits) {
        precondition(image.pixels.count == image.width * image.height * image.channels)
    }
    _ = try? ImageDecoder.decodeGray16(data, limits: limits)
    return 0
}

@_cdecl("FuzzImageDecoder_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzImageDecoder)
}
