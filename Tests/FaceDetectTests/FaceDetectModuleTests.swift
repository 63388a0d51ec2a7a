import XCTest
@testable import FaceDetect
