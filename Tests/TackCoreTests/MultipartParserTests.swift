import Testing
@testable import TackCore

/// The multipart parser on bodies split every way, and on the bodies a hostile client would send.
@Suite struct MultipartParserTests {
    struct Part: Equatable {
        var headers: [String: String]
        var body: [UInt8]
    }

    /// Feeds `body` in chunks of `chunkSize` and collects the parts, checking the parser's work per chunk.
    func parse(_ body: [UInt8], boundary: String = "XyZ", chunkSize: Int,
               limits: MultipartParser.Limits = .init()) throws -> (parts: [Part], events: Int) {
        var parser = MultipartParser(boundary: boundary, limits: limits)
        var parts: [Part] = []
        var events: [MultipartParser.Event] = []
        var eventCount = 0
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + chunkSize)
            let chunk = Array(body[offset..<end])
            // A non-throwing closure: Swift 6.3 crashes compiling a typed-throws closure passed to withUnsafeBytes.
            var failure: MultipartParser.Malformed?
            chunk.withUnsafeBytes { bytes in
                do throws(MultipartParser.Malformed) { try parser.feed(bytes, into: &events) } catch { failure = error }
            }
            if let failure { throw failure }
            eventCount += events.count
            for event in events {
                switch event {
                case .part(let headers): parts.append(Part(headers: headers, body: []))
                case .body(let range): parts[parts.count - 1].body += chunk[range]
                case .heldBody(let bytes): parts[parts.count - 1].body += bytes
                case .partEnd: break
                }
            }
            events.removeAll()
            offset = end
        }
        try parser.finish()
        return (parts, eventCount)
    }

    func form(_ parts: [(String, [UInt8])], boundary: String = "XyZ", preamble: String = "") -> [UInt8] {
        var body = Array(preamble.utf8)
        for (disposition, content) in parts {
            body += Array("--\(boundary)\r\nContent-Disposition: \(disposition)\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += content
            body += Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\nepilogue".utf8)
        return body
    }

    @Test func findsEveryPartWhereverTheChunksSplit() throws {
        // Content that looks like the delimiter's beginning, CRs and LFs everywhere, and a near-miss boundary.
        let tricky = Array("a\r\n--XyQ\r\r\n-\r\n--Xy\r\n--\r".utf8) + [0, 13, 10, 45, 45]
        let body = form([("form-data; name=\"note\"", Array("hello".utf8)),
                         ("form-data; name=\"file\"; filename=\"a.bin\"", tricky),
                         ("form-data; name=\"empty\"", [])],
                        preamble: "ignored preamble\r\n")
        for chunkSize in 1...body.count {
            let (parts, _) = try parse(body, chunkSize: chunkSize)
            #expect(parts.map(\.body) == [Array("hello".utf8), tricky, []], "chunk size \(chunkSize)")
            #expect(parts[1].headers["content-disposition"] == "form-data; name=\"file\"; filename=\"a.bin\"")
            #expect(parts[1].headers["content-type"] == "application/octet-stream")
        }
    }

    @Test func aBodyOfCarriageReturnsCostsEventsPerChunkNotPerByte() throws {
        // The defect: MultipartKit called back once per CR, and the upload re-parsed the part's headers each time.
        let crs = [UInt8](repeating: 13, count: 1 << 20)
        let body = form([("form-data; name=\"file\"; filename=\"r.bin\"", crs)])
        let chunk = 64 * 1024
        let (parts, events) = try parse(body, chunkSize: chunk)
        #expect(parts.count == 1)
        #expect(parts[0].body == crs)
        let chunks = (body.count + chunk - 1) / chunk
        #expect(events <= 2 * chunks + 4, "\(events) events for \(chunks) chunks")
    }

    @Test func refusesOversizedHeadersAndTooManyParts() throws {
        let longParameter = String(repeating: "A", count: 100_000)
        let padded = form([("form-data; name=\"file\"; pad=\"\(longParameter)\"", [1, 2, 3])])
        #expect(throws: MultipartParser.Malformed.self) { _ = try parse(padded, chunkSize: 4096) }
        let longLine = form([("form-data; name=\"file\"; pad=\"\(String(repeating: "B", count: 9000))\"", [1])])
        #expect(throws: MultipartParser.Malformed(message: "a part's header line is longer than 8192 bytes")) {
            _ = try parse(longLine, chunkSize: 512)
        }
        let many = form((0..<17).map { ("form-data; name=\"f\($0)\"", [UInt8]()) })
        #expect(throws: MultipartParser.Malformed(message: "the body has more than 16 parts")) {
            _ = try parse(many, chunkSize: 100)
        }
        let sixteen = form((0..<16).map { ("form-data; name=\"f\($0)\"", [UInt8]()) })
        #expect(try parse(sixteen, chunkSize: 100).parts.count == 16)
    }

    @Test func refusesTruncatedAndMalformedBodies() throws {
        let whole = form([("form-data; name=\"file\"", Array("data".utf8))])
        let cut = Array(whole.prefix(whole.count - 14))
        #expect(throws: MultipartParser.Malformed(message: "the body ends before its closing delimiter")) {
            _ = try parse(cut, chunkSize: 7)
        }
        let badAfterDelimiter = Array("--XyZ\r\nA: b\r\n\r\nx\r\n--XyZxx".utf8)
        #expect(throws: MultipartParser.Malformed.self) { _ = try parse(badAfterDelimiter, chunkSize: 3) }
        let badHeader = Array("--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--".utf8)
        #expect(throws: MultipartParser.Malformed(message: "a part's header line is not 'Name: value'")) {
            _ = try parse(badHeader, chunkSize: 5)
        }
        #expect(throws: MultipartParser.Malformed.self) { _ = try parse([], chunkSize: 1) }
    }

    @Test func searchFindsWholeAndTrailingPartialMatches() {
        let needle = Array("\r\n--b".utf8)
        func find(_ text: String) -> (Int?, Int) {
            Array(text.utf8).withUnsafeBytes { MultipartParser.search(needle, in: $0) }
        }
        #expect(find("abc\r\n--bdef") == (3, 5))
        #expect(find("abc\r\n-") == (3, 3))
        #expect(find("\r\r\r\n--b") == (2, 5))
        #expect(find("abc\r\n-x") == (nil, 0))
        #expect(find("") == (nil, 0))
    }

    @Test func aHeaderBlockAtItsBoundGetsTheSameVerdictHoweverItIsCut() throws {
        // Found by the multipart fuzzer: a block whose blank line fell in the last four bytes of the bound was
        // refused as too large when it arrived in pieces, and parsed when it arrived whole.
        var limits = MultipartParser.Limits()
        // The bound counts the header lines without the blank line that ends them: 38 bytes here, exactly the bound.
        limits.maxHeaderBlockBytes = 38
        let header = "Content-Disposition: form-data; name=f\r\n"
        #expect(header.utf8.count == 40)
        let body = Array("--XyZ\r\n\(header)\r\nx\r\n--XyZ--".utf8)
        var verdicts: Set<String> = []
        for chunkSize in 1...body.count {
            do {
                let (parts, _) = try parse(body, chunkSize: chunkSize, limits: limits)
                verdicts.insert("parts \(parts.count)")
            } catch let error as MultipartParser.Malformed {
                verdicts.insert(error.message)
            }
        }
        #expect(verdicts == ["parts 1"])
        limits.maxHeaderBlockBytes = 37
        #expect(throws: MultipartParser.Malformed(message: "a part's headers are larger than 37 bytes")) {
            _ = try parse(body, chunkSize: 3, limits: limits)
        }
    }
}
