import XCTest
@testable import Assets
