// libFuzzer target: JPEGMetadataStripper. How the bytes are cut into chunks must never change whether it fails, nor
// what comes out when it does not (a refused stream's partial output is thrown away, and may end at a different
// byte); stripping what it produced changes nothing more; the orientation a viewer reads stays.
import TackCore
@testable import TackImage

struct Stripped: Equatable {
    var out: [UInt8], stripped: Bool, failure: String?

    /// The same outcome: equal, or both refused for the same reason.
    func agrees(with other: Stripped) -> Bool {
        failure == nil ? self == other : failure == other.failure
    }
}

func strip(_ bytes: [UInt8], limit: Int, chunks: (Int) -> Int) -> Stripped {
    var stripper = JPEGMetadataStripper(maxHeaderBytes: limit)
    var out: [UInt8] = [], offset = 0, call = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + max(1, chunks(call)))
        out += stripper.feed(Array(bytes[offset..<end]))
        offset = end
        call += 1
    }
    out += stripper.finish()
    return Stripped(out: out, stripped: stripper.stripped, failure: stripper.failure.map { "\($0)" })
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Chunk sizes from the input itself, so the fuzzer explores cuts too: 1 to 64 bytes, then the next.
    var seed = UInt64(truncatingIfNeeded: size) &* 0x9E37_79B9_7F4A_7C15
    for byte in bytes.prefix(16) { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01B3 }
    let chunked: (Int) -> Int = { call in Int((seed >> UInt64(call % 58)) & 63) + 1 }
    for limit in [JPEGMetadataStripper.maxHeaderBytes, 300] {
        let whole = strip(bytes, limit: limit) { _ in Int.max }
        precondition(whole.agrees(with: strip(bytes, limit: limit, chunks: chunked)), "chunking changed the output")
        if size <= 4096 { // one byte per call is slow on a phone photo; the random cuts above cover those
            precondition(whole.agrees(with: strip(bytes, limit: limit) { _ in 1 }), "byte-at-a-time changed the output")
        }
        guard whole.failure == nil else { continue }
        let again = strip(whole.out, limit: JPEGMetadataStripper.maxHeaderBytes) { _ in Int.max }
        precondition(again.out == whole.out && again.failure == nil, "stripping a stripped JPEG changed it")
        precondition(ExifOrientation.read(jpeg: whole.out) == ExifOrientation.read(jpeg: bytes),
                     "the orientation read from the stripped JPEG differs from the original's")
    }
    return 0
}
