import TackCore

/// Removes metadata (EXIF with its GPS position, XMP, IPTC, comments, maker notes, embedded thumbnails, and the
/// images phones append after the picture: MPF depth maps and previews with their own EXIF) from a JPEG as it
/// streams, keeping what decoding needs (JFIF, the ICC profile, Adobe's colour transform, every table and frame
/// header) and the orientation, which is rewritten as a minimal EXIF segment where the EXIF was, so the picture
/// still comes out upright.
///
/// A state machine over bytes: each byte is looked at once, whatever the chunk sizes, and at most one segment's
/// first bytes (or, for EXIF, one segment: 64 KiB) are held. The picture ends at its EOI marker; whatever follows
/// (an MPF second image, a vendor trailer) is dropped, together with the APP2 "MPF" index that pointed at it.
///
/// It never fails open. A stream that starts like a JPEG (FF D8 FF) but breaks the marker syntax, spends more than
/// `maxHeaderBytes` outside compressed scan data, or ends before its first scan is refused: `failure` is set (and
/// `strip`/`end` throw it, code `invalid_image`), and nothing more is emitted. Anything that does not start like a
/// JPEG passes through untouched (`isDone` turns true after three bytes).
public struct JPEGMetadataStripper: Sendable {
    /// The default bound on bytes outside scan data (segments, fill bytes): real files use a few hundred KiB.
    public static let maxHeaderBytes = 16 << 20

    enum State: Sendable, Equatable {
        /// Matching FF D8 FF; `seen` bytes so far.
        case signature(seen: Int)
        /// Not a JPEG: everything passes.
        case passthrough
        /// Between segments: the next byte must be 0xFF.
        case markerStart
        /// After 0xFF: the marker code (more 0xFF are fill).
        case markerCode
        /// Reading a segment's two length bytes.
        case length(marker: UInt8, high: Int?)
        /// Collecting the first bytes of an APPn or COM payload, which say what it is.
        case identify(marker: UInt8, remaining: Int)
        /// Copying (`keep`) or skipping a segment's payload; `scan` when it is a start of scan.
        case payload(remaining: Int, keep: Bool, scan: Bool)
        /// Collecting an EXIF payload to read its orientation.
        case exif(remaining: Int)
        /// Compressed data; `sawFF` when the last byte was 0xFF.
        case entropy(sawFF: Bool)
        /// After the picture's EOI: nothing more is part of it.
        case trailer
        case failed
    }

    private var state = State.signature(seen: 0)
    private var held: [UInt8] = []           // an APPn's first bytes, or an EXIF payload
    private var headerBytes = 0              // bytes spent outside scan data
    private var orientationRead = false      // an EXIF segment has stated the orientation
    private var sawScan = false
    private let limit: Int

    /// True once metadata was found and removed.
    public private(set) var stripped = false
    /// Why the stream was refused; nil while it is fine. Once set, nothing more is emitted.
    public private(set) var failure: TackError?
    /// Bytes examined so far, counting every byte each time any step handles it: a measure of work for tests
    /// (it stays within a small constant of the bytes fed, whatever the chunking).
    private(set) var work = 0

    public init(maxHeaderBytes: Int = JPEGMetadataStripper.maxHeaderBytes) {
        limit = maxHeaderBytes
    }

    /// True when every later byte would pass through unchanged (the input is not a JPEG), so a caller may stop
    /// feeding. A JPEG is never done: its scans, what sits between them and what trails it still need reading.
    public var isDone: Bool { state == .passthrough }

    /// Bytes held between calls (an APPn's first bytes, at most one EXIF segment).
    var bufferedBytes: Int { held.count }

    /// The bytes to emit for this chunk (possibly none). After a failure it emits nothing; see `failure`.
    public mutating func feed(_ chunk: [UInt8]) -> [UInt8] {
        chunk.withUnsafeBufferPointer { process($0) }
    }

    /// `feed` that throws the failure (code `invalid_image`) instead of leaving it in `failure`.
    public mutating func strip(_ chunk: [UInt8]) throws(TackError) -> [UInt8] {
        let out = feed(chunk)
        if let failure { throw failure }
        return out
    }

    /// Whatever is still held when the stream ends. A JPEG that ended before its first scan fails (nothing of
    /// its header is emitted); one cut inside its scans keeps what arrived.
    public mutating func finish() -> [UInt8] {
        switch state {
        case .signature(let seen):
            state = .passthrough
            return Array([0xFF, 0xD8, 0xFF].prefix(seen)) // too short to be a JPEG: as it was
        case .passthrough, .failed, .trailer:
            return []
        case .entropy(let sawFF):
            state = .trailer
            return sawFF ? [0xFF] : []
        default:
            if sawScan {
                state = .trailer
                return []
            }
            fail("the JPEG ends before its image data")
            return []
        }
    }

    /// `finish` that throws the failure instead of leaving it in `failure`.
    public mutating func end() throws(TackError) -> [UInt8] {
        let out = finish()
        if let failure { throw failure }
        return out
    }

    private mutating func fail(_ why: String) {
        state = .failed
        held = []
        failure = .invalid(.invalidImage, "the JPEG cannot be cleaned of metadata: \(why)")
    }

    private mutating func process(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count + 64)
        var i = 0
        let n = input.count
        while i < n {
            switch state {
            case .failed:
                work += n - i
                return out
            case .trailer:
                work += n - i
                stripped = true // an appended image (MPF) or vendor trailer, never part of the picture
                return out
            case .passthrough:
                work += n - i
                out.append(contentsOf: UnsafeBufferPointer(rebasing: input[i...]))
                return out
            case .signature(let seen):
                work += 1
                let expected: UInt8 = seen == 1 ? 0xD8 : 0xFF
                if input[i] == expected {
                    i += 1
                    if seen == 2 {
                        out += [0xFF, 0xD8]
                        headerBytes = 3
                        state = .markerCode
                    } else {
                        state = .signature(seen: seen + 1)
                    }
                } else {
                    out += [0xFF, 0xD8, 0xFF].prefix(seen)
                    state = .passthrough
                }
            case .markerStart:
                work += 1
                guard input[i] == 0xFF else { fail("a segment does not start with a marker"); return out }
                i += 1
                state = .markerCode
                guard count(header: 1) else { return out }
            case .markerCode:
                work += 1
                let marker = input[i]
                i += 1
                guard count(header: 1) else { return out }
                switch marker {
                case 0xFF: break // fill
                case 0xD9:
                    out += [0xFF, 0xD9]
                    state = .trailer
                case 0xD8, 0x00, 0x01, 0xD0...0xD7:
                    fail("marker 0x\(String(marker, radix: 16, uppercase: true)) where a segment belongs")
                    return out
                default:
                    state = .length(marker: marker, high: nil)
                }
            case .length(let marker, let high):
                work += 1
                let byte = Int(input[i])
                i += 1
                guard count(header: 1) else { return out }
                guard let high else { state = .length(marker: marker, high: byte); break }
                let length = high << 8 | byte
                guard length >= 2 else { fail("a segment length below 2"); return out }
                if marker == 0xFE || (0xE0...0xEF).contains(marker) {
                    held.removeAll(keepingCapacity: true)
                    state = .identify(marker: marker, remaining: length - 2)
                    if length == 2 { finishIdentify(marker: marker, remaining: 0, into: &out) }
                } else {
                    // Tables, frame and scan headers, restart intervals: what decoding needs.
                    out += [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)]
                    state = .payload(remaining: length - 2, keep: true, scan: marker == 0xDA)
                    if length == 2 { endPayload(scan: marker == 0xDA) }
                }
            case .identify(let marker, let remaining):
                // Up to 14 bytes name an APPn ("ICC_PROFILE\0", "Exif\0\0", "MPF\0", "Adobe", "JFIF\0").
                let take = min(n - i, remaining, 14 - held.count)
                work += take
                held.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<(i + take)]))
                i += take
                guard count(header: take) else { return out }
                if held.count == 14 || take == remaining {
                    finishIdentify(marker: marker, remaining: remaining - take, into: &out)
                } else {
                    state = .identify(marker: marker, remaining: remaining - take)
                }
            case .payload(let remaining, let keep, let scan):
                let take = min(n - i, remaining)
                work += take
                if keep { out.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<(i + take)])) }
                i += take
                guard count(header: take) else { return out }
                if take == remaining { endPayload(scan: scan) } else { state = .payload(remaining: remaining - take, keep: keep, scan: scan) }
            case .exif(let remaining):
                let take = min(n - i, remaining)
                work += take
                held.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<(i + take)]))
                i += take
                guard count(header: take) else { return out }
                if take == remaining {
                    finishExif(into: &out)
                } else {
                    state = .exif(remaining: remaining - take)
                }
            case .entropy(let sawFF):
                if sawFF {
                    work += 1
                    let byte = input[i]
                    if byte == 0x00 || (0xD0...0xD7).contains(byte) {
                        out += [0xFF, byte] // stuffed byte or restart marker: still scan data
                        i += 1
                        state = .entropy(sawFF: false)
                    } else if byte == 0xFF {
                        i += 1 // fill
                        guard count(header: 1) else { return out }
                    } else {
                        state = .markerCode // a marker ends the scan; markerCode reads this byte
                    }
                } else {
                    // Copy up to the next 0xFF in one go.
                    var j = i
                    while j < n && input[j] != 0xFF { j += 1 }
                    work += j - i
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<j]))
                    if j < n {
                        j += 1
                        work += 1
                        state = .entropy(sawFF: true)
                    }
                    i = j
                }
            }
        }
        return out
    }

    /// Adds `bytes` to the bytes spent outside scan data; false (and failed) once past the limit.
    private mutating func count(header bytes: Int) -> Bool {
        headerBytes += bytes
        guard headerBytes <= limit else {
            fail("more than \(limit >> 20) MiB outside image data")
            return false
        }
        return true
    }

    private mutating func endPayload(scan: Bool) {
        if scan {
            sawScan = true
            state = .entropy(sawFF: false)
        } else {
            state = .markerStart
        }
    }

    /// Decides what an APPn or COM segment is from its first bytes (in `held`), then keeps, skips or reads it.
    private mutating func finishIdentify(marker: UInt8, remaining: Int, into out: inout [UInt8]) {
        let length = held.count + remaining + 2
        if Self.keep(marker: marker, head: held) {
            out += [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)]
            out += held
            held.removeAll(keepingCapacity: true)
            state = remaining == 0 ? .markerStart : .payload(remaining: remaining, keep: true, scan: false)
            return
        }
        stripped = true
        if marker == 0xE1 && held.starts(with: Self.exifHeader) && !orientationRead {
            held.reserveCapacity(held.count + remaining)
            state = .exif(remaining: remaining)
            if remaining == 0 { finishExif(into: &out) }
            return
        }
        held.removeAll(keepingCapacity: true)
        state = remaining == 0 ? .markerStart : .payload(remaining: remaining, keep: false, scan: false)
    }

    /// A whole EXIF payload is in `held`: its orientation (when not 1) becomes a minimal EXIF segment here.
    /// The first segment that states an orientation decides it, 1 included, as for `ExifOrientation.read` and
    /// viewers: a later segment's value must not turn a picture that was shown upright.
    private mutating func finishExif(into out: inout [UInt8]) {
        if let value = ExifOrientation.fromExif(held) {
            if value != 1 { out += Self.orientationSegment(value) }
            orientationRead = true
        }
        held = []
        state = .markerStart
    }

    static let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]

    /// Which APPn and COM segments stay, from their first bytes.
    static func keep(marker: UInt8, head: [UInt8]) -> Bool {
        switch marker {
        case 0xE0: return head.starts(with: Array("JFIF".utf8) + [0])          // not JFXX, which holds a thumbnail
        case 0xE2: return head.starts(with: Array("ICC_PROFILE".utf8) + [0])   // not MPF, not FlashPix
        case 0xEE: return head.starts(with: Array("Adobe".utf8))               // the colour transform
        default: return false                                                  // EXIF, XMP, IPTC, comments, ...
        }
    }

    /// An EXIF APP1 holding nothing but the orientation.
    static func orientationSegment(_ value: Int) -> [UInt8] {
        var tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01]
        tiff += [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, UInt8(value), 0x00, 0x00]
        tiff += [0x00, 0x00, 0x00, 0x00]
        let payload = exifHeader + tiff
        let length = payload.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xff)] + payload
    }
}
