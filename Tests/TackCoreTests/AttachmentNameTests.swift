import Testing
@testable import TackCore

@Suite struct AttachmentNameTests {
    @Test(arguments: [
        ("report.pdf", "report.pdf"),
        ("  spaced.txt  ", "spaced.txt"),
        ("cafe\u{301}.txt", "café.txt"),
        ("日本語のファイル.png", "日本語のファイル.png"),
        ("..hidden", "..hidden"),
        ("family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}.png", "family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}.png"),
    ])
    func keepsGoodNames(raw: String, expected: String) throws {
        let name = try AttachmentName.validate(raw, maxBytes: 255)
        #expect(name == expected)
        #expect(name.unicodeScalars.elementsEqual(expected.unicodeScalars))
    }

    @Test(arguments: [
        "../../etc/passwd", "..\\windows\\system32", "dir/file.txt", "..", ".", "", "   ",
        "evil\u{0}.txt", "line\nbreak.txt", "bell\u{7}.txt", "del\u{7F}.txt", "c1\u{85}.txt",
        "invoice\u{202E}gpj.exe", "iso\u{2066}late.txt",
        "zero\u{200B}width.pdf", "soft\u{AD}hyphen.pdf", "bom\u{FEFF}.pdf", "word\u{2060}joiner.pdf",
    ])
    func refusesBadNames(raw: String) {
        #expect(throws: TackError.self) { try AttachmentName.validate(raw, maxBytes: 255) }
    }

    @Test func truncatesKeepingExtension() throws {
        let long = String(repeating: "é", count: 300) + ".jpeg"
        let name = try AttachmentName.validate(long, maxBytes: 255)
        #expect(name.utf8.count <= 255)
        #expect(name.hasSuffix(".jpeg"))
        #expect(name.hasPrefix("éé"))
    }
}
