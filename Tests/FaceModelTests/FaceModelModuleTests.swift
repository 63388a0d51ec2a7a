import XCTest
@testable import FaceModel
