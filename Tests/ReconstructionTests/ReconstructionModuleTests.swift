import XCTest
@testable import Reconstruction
