import Testing
@testable import TackCore

@Suite struct ContentSnifferTests {
    @Test(arguments: [
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], "image/png"),
        ([0xFF, 0xD8, 0xFF, 0xE0, 0, 16], "image/jpeg"),
        (Array("GIF89a..".utf8), "image/gif"),
        (Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), "image/webp"),
        (Array("%PDF-1.7\n".utf8), "application/pdf"),
        ([0, 0, 0, 0x20] + Array("ftypisom".utf8), "video/mp4"),
        ([0, 0, 0, 0x1C] + Array("ftypM4A ".utf8), "audio/mp4"),
        ([0, 0, 0, 0x14] + Array("ftypqt  ".utf8), "video/quicktime"),
        ([0x50, 0x4B, 0x03, 0x04, 20, 0], "application/zip"),
        ([0x1F, 0x8B, 8, 0], "application/gzip"),
        (Array("hello, world\n".utf8), "text/plain; charset=utf-8"),
        (Array("<!DOCTYPE html><html>".utf8), "text/html"),
        (Array("  <svg xmlns=\"http://www.w3.org/2000/svg\">".utf8), "image/svg+xml"),
        ([0, 1, 2, 3, 200, 201], "application/octet-stream"),
        ([], "application/octet-stream"),
    ] as [([UInt8], String)])
    func sniffsBytes(bytes: [UInt8], expected: String) {
        #expect(ContentSniffer.sniff(prefix: bytes) == expected)
    }

    @Test func declaredTypeIsOnlyAHint() {
        let html = Array("<html><script>alert(1)</script>".utf8)
        #expect(ContentSniffer.sniff(prefix: html, declared: "image/png", name: "cat.png") == "text/html")
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        #expect(ContentSniffer.sniff(prefix: png, declared: "text/html", name: "x.html") == "image/png")
    }

    @Test func namesRefineContainersAndText() {
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        #expect(ContentSniffer.sniff(prefix: zip, name: "Plan.DOCX").hasPrefix("application/vnd.openxmlformats-officedocument.wordprocessingml"))
        #expect(ContentSniffer.sniff(prefix: Array("a,b\n1,2\n".utf8), name: "t.csv") == "text/csv; charset=utf-8")
        #expect(ContentSniffer.sniff(prefix: Array("{\"a\":1}".utf8), declared: "application/json") == "application/json")
    }

    @Test func utf8CutAtThePrefixEndIsStillText() {
        var bytes = Array(String(repeating: "a", count: 511).utf8)
        bytes += Array("é".utf8) // 2 bytes: the prefix cuts it in half
        #expect(ContentSniffer.sniff(prefix: bytes) == "text/plain; charset=utf-8")
    }
}
