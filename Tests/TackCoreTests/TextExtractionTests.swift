import Testing
@testable import TackCore

/// Plain text as search reads it: UTF-8 kept whole up to the cap, never a character cut in two, binary refused.
@Suite struct TextExtractionTests {
    @Test func formatsFollowTheSniffedType() {
        #expect(TextFormat(contentType: "text/plain; charset=utf-8") == .plain)
        #expect(TextFormat(contentType: "text/csv; charset=utf-8") == .plain)
        #expect(TextFormat(contentType: "application/json") == .plain)
        #expect(TextFormat(contentType: "text/html") == nil)
        #expect(TextFormat(contentType: "image/png") == nil)
        #expect(TextFormat(contentType: "application/octet-stream") == nil)
    }

    @Test func keepsAWholeFileAndDropsItsByteOrderMark() throws {
        let text = try PlainTextExtractor.extract([0xEF, 0xBB, 0xBF] + Array("Grüße, 世界\n".utf8), complete: true, limit: 1024)
        #expect(text == ExtractedText(text: "Grüße, 世界\n", truncated: false))
    }

    @Test func aCapNeverCutsACharacter() throws {
        // "ab€" is 5 bytes (€ takes three): caps of 3 and 4 fall inside the €.
        let bytes = Array("ab€cd".utf8)
        for (limit, expected) in [(2, "ab"), (3, "ab"), (4, "ab"), (5, "ab€"), (6, "ab€c")] {
            let text = try PlainTextExtractor.extract(bytes, complete: true, limit: limit)
            #expect(text == ExtractedText(text: expected, truncated: true), "limit \(limit)")
        }
        // Bytes that end inside a character because only the file's start was read.
        let head = try PlainTextExtractor.extract(bytes.prefix(4), complete: false, limit: 100)
        #expect(head == ExtractedText(text: "ab", truncated: true))
        #expect(try PlainTextExtractor.extract(bytes, complete: true, limit: 7) == ExtractedText(text: "ab€cd", truncated: false))
    }

    @Test func strayBytesBecomeReplacementCharactersWithinTheCap() throws {
        // Each stray byte grows into three bytes of U+FFFD: the text is cut back to the cap.
        let bytes: [UInt8] = Array("ok ".utf8) + [0xFF, 0xFE, 0xFD] + Array(" end".utf8)
        let whole = try PlainTextExtractor.extract(bytes, complete: true, limit: 100)
        #expect(whole == ExtractedText(text: "ok \u{FFFD}\u{FFFD}\u{FFFD} end", truncated: false))
        let capped = try PlainTextExtractor.extract(bytes, complete: true, limit: 10)
        #expect(capped.text.utf8.count <= 10 && capped.truncated && capped.text.hasPrefix("ok \u{FFFD}"))
    }

    @Test func controlBytesMeanBinary() {
        #expect(throws: TackError.self) { try PlainTextExtractor.extract(Array("text".utf8) + [0, 1], complete: true, limit: 100) }
        // Tabs, newlines, form feeds and escapes (coloured logs) are text.
        #expect(throws: Never.self) { try PlainTextExtractor.extract(Array("a\tb\r\n\u{0C}\u{1B}[1m".utf8), complete: true, limit: 100) }
    }
}
