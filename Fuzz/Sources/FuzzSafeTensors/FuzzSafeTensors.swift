import CFuzzDriver
import Foundation
import Tensor

/// One fuzz input through the safetensors parser; anything parsed must survive value conversion
/// and re-serialise to bytes that parse to the same file.
func fuzzSafeTensors(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard let file = try? SafeTensorsFile.parse(data) else { return 0 }
    for tensor in file.tensors.values {
        switch tensor.dtype {
        case .f32, .f16, .bf16: _ = try? tensor.floats()
        case .i32, .i64: _ = try? tensor.integers()
        }
    }
    let again = try! SafeTensorsFile.parse(file.serialize())
    precondition(again == file, "serialise → parse is not the identity")
    return 0
}

@_cdecl("FuzzSafeTensors_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzSafeTensors)
}
