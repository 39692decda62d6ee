// libFuzzer target: the Range header (RFC 9110 §14). Whatever the header, a partial answer lies inside the
// representation, and a header that parses has at least one range.
@testable import TackCore

let sizes: [Int64] = [0, 1, 2, 7, 100, 1 << 20, 1 << 40, Int64.max - 1, Int64.max]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let header = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let specs = ByteRange.parse(header) { precondition(!specs.isEmpty) }
    for length in sizes {
        switch ByteRange.decide(header: header, size: length) {
        case .partial(let range):
            precondition(range.lowerBound >= 0 && range.upperBound < length, "\(range) outside 0..<\(length)")
        case .full, .unsatisfiable:
            break
        }
    }
    return 0
}
