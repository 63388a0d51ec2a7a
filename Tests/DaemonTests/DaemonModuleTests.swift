import XCTest
@testable import Daemon
