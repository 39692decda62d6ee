// libFuzzer target: Content-Digest (RFC 9530) through RawStructuredFieldValues. Any header is read or refused;
// a SHA-256 read from a header is the one the header tackd writes for it carries.
import TackCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let header = String(decoding: bytes, as: UTF8.self)
    if let hash = try? ContentDigest.sha256(fromHeader: header) {
        precondition(hash.bytes.count == 32)
        precondition((try? ContentDigest.sha256(fromHeader: ContentDigest.header(for: hash))) == hash)
    }
    if bytes.count >= 32, let hash = ContentHash(bytes: bytes.prefix(32)) {
        precondition((try? ContentDigest.sha256(fromHeader: ContentDigest.header(for: hash))) == hash)
    }
    return 0
}
