import Testing
@testable import TackCore

@Suite struct ContentDispositionTests {
    @Test(arguments: [
        ("attachment; filename*=UTF-8''na%C3%AFve%20plan.pdf", "naïve plan.pdf"),
        ("attachment; filename=\"report.pdf\"", "report.pdf"),
        ("attachment; filename=plain.txt", "plain.txt"),
        ("attachment; filename=\"fallback.txt\"; filename*=utf-8'en'%E2%82%AC%20rates.txt", "€ rates.txt"),
        ("form-data; name=\"file\"; filename=\"a \\\"quoted\\\" name.png\"", "a \"quoted\" name.png"),
        ("ATTACHMENT; FILENAME=\"Upper.TXT\"", "Upper.TXT"),
    ])
    func readsFileNames(header: String, expected: String) throws {
        #expect(try ContentDisposition.fileName(fromHeader: header) == expected)
    }

    @Test func noFileName() throws {
        #expect(try ContentDisposition.fileName(fromHeader: "inline") == nil)
    }

    @Test(arguments: [
        "attachment; filename*=UTF-8''bad%zz",
        "attachment; filename*=ISO-8859-1''caf%E9",
        "attachment; filename*=nocharset",
        "attachment; filename=\"unterminated",
        "attachment; filename*=UTF-8''%FF%FE",
    ])
    func refusesBrokenHeaders(header: String) {
        #expect(throws: TackError.self) { try ContentDisposition.fileName(fromHeader: header) }
    }

    @Test func responseHeaderRoundTrips() throws {
        let name = "Ünïcode \"quoted\" 100%.png"
        let header = ContentDisposition.header(inline: false, fileName: name)
        #expect(header.hasPrefix("attachment; filename=\""))
        #expect(!header.dropFirst("attachment; filename=\"".count).prefix(while: { $0 != "\"" }).contains("%"))
        #expect(try ContentDisposition.fileName(fromHeader: header) == name)
        #expect(ContentDisposition.header(inline: true, fileName: "a.png").hasPrefix("inline;"))
    }
}
