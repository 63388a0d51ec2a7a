import XCTest
@testable import Library

final class PersonNameTests: XCTestCase {
    func testAcceptsPlainNames() throws {
        for name in ["alice", "Bob_Smith", "carol-2", "d.e", String(repeating: "x", count: 64)] {
            XCTAssertEqual(try PersonName(name).value, name)
        }
    }

    func testRejectsHostileNames() {
        let hostile = ["", ".", "..", ".hidden", "a..b", "../etc", "a/b", "a b", "tab\tname", "new\nline",
                       "semi;colon", "émile", "nul\u{0}byte", "$(rm -rf)", "back\\slash", String(repeating: "x", count: 65)]
        for name in hostile {
            XCTAssertThrowsError(try PersonName(name), "accepted \(name.debugDescription)") { error in
                XCTAssertTrue(error is InvalidPersonName)
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
    }
}
