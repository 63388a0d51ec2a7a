import XCTest
@testable import Library
