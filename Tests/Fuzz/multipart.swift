// libFuzzer target: the multipart/form-data parser (MultipartParser). The input is a body as a client sends it;
// its first line names the boundary. How the body is cut into chunks must never change the parts, their headers,
// their bytes, or the verdict; no part's bytes contain the delimiter; the part limit holds.
import TackCore

struct Part: Equatable {
    var headers: [String: String], body: [UInt8] = [], ended = false
}

struct Outcome: Equatable {
    var parts: [Part] = [], complete = false, error: String?
}

func parse(_ body: [UInt8], boundary: String, limits: MultipartParser.Limits, chunks: (Int) -> Int) -> Outcome {
    var parser = MultipartParser(boundary: boundary, limits: limits)
    var outcome = Outcome(), offset = 0, call = 0
    repeat {
        let end = min(body.count, offset + max(1, chunks(call)))
        let chunk = Array(body[offset..<end])
        var events: [MultipartParser.Event] = []
        do {
            try chunk.withUnsafeBytes { try parser.feed($0, into: &events) }
        } catch let error as MultipartParser.Malformed {
            outcome.error = error.message
        } catch {
            preconditionFailure("feed threw \(error)")
        }
        for event in events {
            switch event {
            case .part(let headers): outcome.parts.append(Part(headers: headers))
            case .body(let range):
                precondition(range.lowerBound >= 0 && range.upperBound <= chunk.count, "\(range) outside a \(chunk.count)-byte chunk")
                precondition(!outcome.parts.isEmpty && !outcome.parts[outcome.parts.count - 1].ended, "body outside a part")
                outcome.parts[outcome.parts.count - 1].body += chunk[range]
            case .heldBody(let bytes):
                precondition(!outcome.parts.isEmpty && !outcome.parts[outcome.parts.count - 1].ended, "body outside a part")
                outcome.parts[outcome.parts.count - 1].body += bytes
            case .partEnd:
                precondition(!outcome.parts.isEmpty, "a part ended before any began")
                outcome.parts[outcome.parts.count - 1].ended = true
            }
        }
        if outcome.error != nil { return outcome }
        offset = end
        call += 1
    } while offset < body.count
    do { try parser.finish(); outcome.complete = true } catch { outcome.error = error.message }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    // "--BOUNDARY\r\n" opens a real body; anything else is parsed against a fixed boundary.
    var boundary = "X"
    if body.starts(with: [45, 45]), let cr = body.firstIndex(of: 13), cr > 2, cr - 2 <= 70 {
        boundary = String(decoding: body[2..<cr], as: UTF8.self)
    }
    var small = MultipartParser.Limits()
    small.maxHeaderLineBytes = 64
    small.maxHeaderBlockBytes = 128
    small.maxParts = 3
    var seed = UInt64(truncatingIfNeeded: size) &* 0x9E37_79B9_7F4A_7C15
    for byte in body.suffix(16) { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01B3 }
    for limits in [MultipartParser.Limits(), small] {
        let whole = parse(body, boundary: boundary, limits: limits) { _ in Int.max }
        precondition(whole == parse(body, boundary: boundary, limits: limits) { call in Int((seed >> UInt64(call % 58)) & 63) + 1 },
                     "cutting the body into chunks changed what was parsed")
        if size <= 2048 {
            precondition(whole == parse(body, boundary: boundary, limits: limits) { _ in 1 }, "byte-at-a-time changed what was parsed")
        }
        precondition(whole.parts.count <= limits.maxParts)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        for part in whole.parts where part.body.count >= delimiter.count {
            precondition(!(0...(part.body.count - delimiter.count)).contains { part.body[$0..<($0 + delimiter.count)].elementsEqual(delimiter) },
                         "a part's bytes contain the delimiter")
        }
        if whole.complete { precondition(whole.error == nil && whole.parts.allSatisfy(\.ended)) }
    }
    return 0
}
