import XCTest
@testable import Library

final class PersonNameTests: XCTestCase {
    func testAcceptsPlainNames() throws {
        for name in ["alice", "Bob_Smith", "carol-2", "d.e", String(repeating: "x", count: 64)] {
            XCTAssertEqual(try PersonName(name).value, name)
            XCTAssertEqual(try PersonName(name).folderName, name, "plain names keep their Library folder")
        }
    }

    /// People's names: any alphabet, accents, spaces, apostrophes; each maps to its own ASCII
    /// Library folder, the same for the NFC and NFD spellings.
    func testAcceptsPeoplesNamesAndMapsThemToSafeFolders() throws {
        let nfc = "Jos\u{E9}", nfd = "Jose\u{301}"
        for name in [nfc, nfd, "with space", "Mary Ann O'Brien", "王芳", "Zoë-Łucja", String(repeating: "é", count: 64)] {
            let person = try PersonName(name)
            XCTAssertEqual(person.value, name)
            XCTAssertNil(PersonName.problem(with: person.folderName), "\(person.folderName) is itself a plain name")
            XCTAssertTrue(PersonName.isPlainASCII(person.folderName), person.folderName)
        }
        XCTAssertTrue(try PersonName(nfc).folderName.hasPrefix("Jose-"))
        XCTAssertEqual(try PersonName(nfc).folderName.count, "Jose-".count + 8)
        XCTAssertEqual(try PersonName(nfc).folderName, try PersonName(nfd).folderName)
        XCTAssertTrue(try PersonName("with space").folderName.hasPrefix("with-space-"))
        XCTAssertTrue(try PersonName("王芳").folderName.hasPrefix("person-"))
        XCTAssertNotEqual(try PersonName("王芳").folderName, try PersonName("李娜").folderName)
        XCTAssertNotEqual(try PersonName("Jose").folderName, try PersonName(nfc).folderName, "José does not take Jose's folder")
        XCTAssertNotEqual(try PersonName("inbox-status.json").folderName, "inbox-status.json", "reserved Library names are hashed")
    }

    func testRejectsHostileNames() {
        let hostile = ["", ".", "..", ".hidden", "a..b", "../etc", "a/b", " lead", "trail ", "tab\tname", "new\nline",
                       "semi;colon", "nul\u{0}byte", "$(rm -rf)", "back\\slash", "party 🎉", "no\u{A0}break",
                       String(repeating: "x", count: 65), String(repeating: "é", count: 65)]
        for name in hostile {
            XCTAssertThrowsError(try PersonName(name), "accepted \(name.debugDescription)") { error in
                XCTAssertTrue(error is InvalidPersonName)
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
    }
}
