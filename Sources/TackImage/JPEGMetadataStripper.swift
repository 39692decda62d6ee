/// Removes metadata (EXIF with its GPS position, XMP, comments, maker notes, embedded thumbnails) from a JPEG
/// as it streams, keeping what decoding needs (JFIF, the ICC profile, Adobe's colour transform) and the
/// orientation, which is rewritten as a minimal EXIF segment so the picture still comes out upright.
///
/// Only the header is buffered (up to `maxHeaderBytes`); the compressed image data passes through untouched.
/// Anything that is not a JPEG, or whose header is not understood, passes through unchanged.
public struct JPEGMetadataStripper: Sendable {
    public static let maxHeaderBytes = 1 << 20

    enum State: Sendable {
        case header([UInt8])
        case passthrough
    }

    private var state: State = .header([])
    /// True once metadata was found and removed.
    public private(set) var stripped = false

    public init() {}

    /// True once the header is behind it: every later byte passes through unchanged.
    public var isDone: Bool {
        if case .passthrough = state { return true }
        return false
    }

    /// The bytes to emit for this chunk (possibly none while the header is still arriving).
    public mutating func feed(_ chunk: [UInt8]) -> [UInt8] {
        guard case .header(var buffer) = state else { return chunk }
        buffer += chunk
        if buffer.count >= 2 && !(buffer[0] == 0xFF && buffer[1] == 0xD8) {
            state = .passthrough
            return buffer
        }
        switch Self.rewriteHeader(buffer) {
        case .needMore:
            if buffer.count > Self.maxHeaderBytes {
                state = .passthrough
                return buffer
            }
            state = .header(buffer)
            return []
        case .unchanged:
            state = .passthrough
            return buffer
        case .rewritten(let bytes):
            state = .passthrough
            stripped = true
            return bytes
        }
    }

    /// Whatever is still held when the stream ends (a header that never reached image data is left as it was).
    public mutating func finish() -> [UInt8] {
        guard case .header(let buffer) = state else { return [] }
        state = .passthrough
        return buffer
    }

    enum Rewrite: Equatable {
        case needMore
        case unchanged
        case rewritten([UInt8])
    }

    /// Walks the segments up to the start of scan; nil-free: every outcome says what to do.
    static func rewriteHeader(_ b: [UInt8]) -> Rewrite {
        var offset = 2
        var kept: [[UInt8]] = []
        var dropped = false
        var orientation = 1
        while true {
            // Fill bytes may pad markers.
            while offset + 1 < b.count, b[offset] == 0xFF, b[offset + 1] == 0xFF { offset += 1 }
            guard offset + 4 <= b.count else { return .needMore }
            guard b[offset] == 0xFF else { return .unchanged }
            let marker = b[offset + 1]
            if marker == 0xDA { break } // start of scan: the rest is image data
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { return .unchanged }
            let length = Int(b[offset + 2]) << 8 | Int(b[offset + 3])
            guard length >= 2 else { return .unchanged }
            guard offset + 2 + length <= b.count else { return .needMore }
            let segment = Array(b[offset..<(offset + 2 + length)])
            let payload = segment.dropFirst(4)
            if keep(marker: marker, payload: payload) {
                kept.append(segment)
            } else {
                dropped = true
                if marker == 0xE1, let value = ExifOrientation.fromExif(Array(payload)) { orientation = value }
            }
            offset += 2 + length
        }
        guard dropped else { return .unchanged }
        var out: [UInt8] = [0xFF, 0xD8]
        var rest = kept[...]
        if let first = rest.first, first[1] == 0xE0 { out += first; rest = rest.dropFirst() } // JFIF stays first
        if orientation != 1 { out += orientationSegment(orientation) }
        for segment in rest { out += segment }
        out += b[offset...]
        return .rewritten(out)
    }

    static func keep(marker: UInt8, payload: ArraySlice<UInt8>) -> Bool {
        switch marker {
        case 0xE0: return payload.starts(with: Array("JFIF".utf8) + [0])
        case 0xE2: return payload.starts(with: Array("ICC_PROFILE".utf8) + [0])
        case 0xEE: return payload.starts(with: Array("Adobe".utf8))
        case 0xE1, 0xE3...0xED, 0xEF, 0xFE: return false
        default: return true // tables, frame headers, restart intervals: what decoding needs
        }
    }

    /// An EXIF APP1 holding nothing but the orientation.
    static func orientationSegment(_ value: Int) -> [UInt8] {
        var tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01]
        tiff += [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, UInt8(value), 0x00, 0x00]
        tiff += [0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xff)] + payload
    }
}
