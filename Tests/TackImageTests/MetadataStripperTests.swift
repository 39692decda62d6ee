import Foundation
import Testing
import TackCore
import TackTestSupport
@testable import TackImage

/// Feeds `bytes` to a stripper in chunks of `chunk` bytes (or the sizes `sizes` gives, cycling).
func strip(_ bytes: [UInt8], chunk: Int, maxHeaderBytes: Int = JPEGMetadataStripper.maxHeaderBytes)
    -> (out: [UInt8], stripped: Bool, failure: TackError?) {
    var stripper = JPEGMetadataStripper(maxHeaderBytes: maxHeaderBytes)
    var out: [UInt8] = []
    var offset = 0
    while offset < bytes.count {
        out += stripper.feed(Array(bytes[offset..<min(offset + chunk, bytes.count)]))
        offset += chunk
    }
    out += stripper.finish()
    return (out, stripper.stripped, stripper.failure)
}

/// The segments of a JPEG before its first scan, read independently of the stripper: (marker, payload).
func segments(_ jpeg: [UInt8]) -> [(marker: UInt8, payload: [UInt8])] {
    var at = 2, found: [(UInt8, [UInt8])] = []
    while at + 4 <= jpeg.count, jpeg[at] == 0xFF, jpeg[at + 1] != 0xDA {
        let length = Int(jpeg[at + 2]) << 8 | Int(jpeg[at + 3])
        found.append((jpeg[at + 1], Array(jpeg[(at + 4)..<min(jpeg.count, at + 2 + length)])))
        at += 2 + length
    }
    return found
}

extension Array where Element == UInt8 {
    func contains(text: String) -> Bool {
        let needle = Array(text.utf8)
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

/// The phone photo made by Fixtures/make-phone-jpeg: EXIF with GPS, a maker note and a thumbnail, XMP, a comment,
/// ICC, Adobe, and an MPF second image with its own EXIF and GPS after the first one's EOI.
enum PhoneFixture {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/phone.jpg").path
    static var bytes: [UInt8] { get throws { Array(try Data(contentsOf: URL(fileURLWithPath: path))) } }
    static let secrets = ["TACK-GPS-SECRET-PRIMARY", "TACK-GPS-SECRET-SECOND", "TACK-MAKERNOTE-SECRET", "TACK-USERCOMMENT-SECRET",
                          "TACK-XMP-SECRET", "TACK-COM-SECRET", "TackPhone", "Tack Phone 9"]
}

@Suite(.ownThread) struct MetadataStripperTests {
    /// An EXIF segment with orientation and a GPS-looking payload, an XMP segment and a comment.
    func photoWithMetadata(orientation: UInt16) throws -> [UInt8] {
        let plain = try JPEGCodec.encode(quadrants(width: 64, height: 32), quality: 90)
        return JPEGFixtures.withPrivateMetadata(withOrientation(plain, orientation), secret: "GPS 52.5200N 13.4050E")
    }

    @Test(arguments: [1, 7, 4096])
    func removesMetadataButKeepsThePictureUpright(chunk: Int) throws {
        let original = try photoWithMetadata(orientation: 6)
        let (stripped, did, failure) = strip(original, chunk: chunk)
        #expect(did && failure == nil)
        #expect(stripped.count < original.count)
        #expect(!stripped.contains(text: "GPS 52.5200N"), "the XMP location is gone")
        #expect(!stripped.contains(text: "taken at"), "the comment is gone")
        #expect(ExifOrientation.read(jpeg: stripped) == 6, "the orientation survives")
        let before = try Thumbnailer().thumbnail(of: original, size: 32, method: .scale)
        let after = try Thumbnailer().thumbnail(of: stripped, size: 32, method: .scale)
        #expect((after.width, after.height) == (before.width, before.height))
        #expect(try JPEGCodec.decode(after.bytes, limits: ImageLimits()) == (try JPEGCodec.decode(before.bytes, limits: ImageLimits())),
                "the pixels are exactly the same")
    }

    @Test func leavesEverythingElseAlone() throws {
        let plain = try JPEGCodec.encode(quadrants(width: 16, height: 16), quality: 80)
        #expect(strip(plain, chunk: 5) == (plain, false, nil), "nothing to remove: byte for byte the same")
        let png = try PNGCodec.encode(quadrants(width: 16, height: 16))
        #expect(strip(png, chunk: 3) == (png, false, nil))
        let noise = pseudoRandomBytes(5000, seed: 9)
        #expect(strip(noise, chunk: 100) == (noise, false, nil))
        for short in [[], [0xFF], [0xFF, 0xD8]] as [[UInt8]] {
            #expect(strip(short, chunk: 1) == (short, false, nil), "too short to be a JPEG: as it was")
        }
    }

    /// The phone photo in every chunk size from 1 byte to 4 KiB, and in one piece: the same clean output each time.
    @Test func phonePhotoLosesEveryTraceInAnyChunking() throws {
        let original = try PhoneFixture.bytes
        for secret in PhoneFixture.secrets { try #require(original.contains(text: secret), "the fixture carries \(secret)") }
        let (reference, did, failure) = strip(original, chunk: original.count)
        #expect(did && failure == nil)
        for secret in PhoneFixture.secrets { #expect(!reference.contains(text: secret), "\(secret) is gone") }
        // One picture: the EXIF thumbnail (an SOI inside APP1) and the MPF image after EOI are both gone.
        let starts = (0..<(reference.count - 2)).filter { reference[$0] == 0xFF && reference[$0 + 1] == 0xD8 && reference[$0 + 2] == 0xFF }
        #expect(starts == [0])
        #expect(reference.suffix(2) == [0xFF, 0xD9], "ends at the primary's EOI")
        let kept = segments(reference)
        #expect(!kept.contains { $0.marker == 0xE2 && $0.payload.starts(with: Array("MPF".utf8) + [0]) }, "the MPF index is gone")
        #expect(kept.contains { $0.marker == 0xE2 && $0.payload.starts(with: Array("ICC_PROFILE".utf8) + [0]) }, "ICC stays")
        #expect(kept.contains { $0.marker == 0xEE && $0.payload.starts(with: Array("Adobe".utf8)) }, "Adobe stays")
        #expect(!kept.contains { $0.marker == 0xFE }, "no comment")
        let exif = kept.filter { $0.marker == 0xE1 }
        #expect(exif.count == 1 && exif[0].payload.count == 32, "one EXIF segment: the orientation alone")
        #expect(ExifOrientation.read(jpeg: reference) == 6)
        // The picture is the very same: the entropy-coded data was not touched.
        #expect(try JPEGCodec.decode(reference, limits: ImageLimits()) == (try JPEGCodec.decode(original, limits: ImageLimits())))

        for chunk in 1...4096 {
            let (out, _, failure) = strip(original, chunk: chunk)
            if out != reference || failure != nil {
                Issue.record("chunks of \(chunk) bytes give a different result")
                break
            }
        }
        // Irregular chunk sizes too.
        var stripper = JPEGMetadataStripper()
        var out: [UInt8] = [], offset = 0, sizes = pseudoRandomBytes(4000, seed: 11).makeIterator()
        while offset < original.count {
            let size = Int(sizes.next() ?? 1) + 1
            out += stripper.feed(Array(original[offset..<min(offset + size, original.count)]))
            offset += size
        }
        out += stripper.finish()
        #expect(out == reference)
    }

    /// Pillow, reading the output on its own terms: no EXIF but the orientation, no GPS, no MPF frames, ICC kept.
    @Test func pillowSeesNoMetadataButICCAndOrientation() throws {
        let (out, _, _) = strip(try PhoneFixture.bytes, chunk: 1000)
        let path = NSTemporaryDirectory() + "stripped-\(UUID().uuidString).jpg"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(out).write(to: URL(fileURLWithPath: path))
        let report = try Pillow.evaluate("""
            import sys
            from PIL import Image
            image = Image.open(sys.argv[1])
            exif = image.getexif()
            print(image.format, getattr(image, "n_frames", 1), sorted(exif.keys()), dict(exif.get_ifd(0x8825)),
                  dict(exif.get_ifd(0x8769)), "icc_profile" in image.info, "adobe" in image.info, "mp" in image.info)
            """, [path])
        #expect(report == "JPEG 1 [274] {} {} True True False", "\(report)")
    }

    /// Never fails open: every cut of the phone photo before its first scan is refused; cuts inside the scan keep
    /// what arrived; none of them lets a secret through.
    @Test func truncatedOrMalformedHeadersAreRefusedNotPassed() throws {
        let original = try PhoneFixture.bytes
        // The primary's first scan (the EXIF thumbnail has scans of its own, inside APP1).
        let firstScan = segments(original).reduce(2) { $0 + 4 + $1.payload.count }
        try #require(original[firstScan] == 0xFF && original[firstScan + 1] == 0xDA)
        for cut in Array(3..<firstScan) + Array(stride(from: firstScan + 20, to: original.count, by: 97)) {
            let (out, _, failure) = strip(Array(original.prefix(cut)), chunk: 512)
            #expect((failure != nil) == (cut < firstScan + 4), "cut at \(cut)")
            for secret in PhoneFixture.secrets where out.contains(text: secret) { Issue.record("cut at \(cut) leaks \(secret)") }
        }
        // A broken marker sequence: a segment that does not start with 0xFF.
        var broken = original
        broken[segments(original).prefix(2).reduce(2) { $0 + 4 + $1.payload.count }] = 0x12
        let (out, _, failure) = strip(broken, chunk: 64)
        #expect(failure?.code == "invalid_image")
        for secret in PhoneFixture.secrets { #expect(!out.contains(text: secret)) }
        var stripper = JPEGMetadataStripper()
        _ = stripper.feed(broken)
        #expect(throws: TackError.self) { try stripper.strip([0xFF, 0xD9]) }
        #expect(stripper.feed(Array(original)) == [], "nothing is emitted after a failure")
        // A JPEG that is nothing but a header.
        var headerOnly = JPEGMetadataStripper()
        _ = try headerOnly.strip(Array(original.prefix(500)))
        #expect(throws: TackError.self) { try headerOnly.end() }
    }

    /// 0xFF fill bytes before markers are skipped, inside the header and between scan data and the next marker.
    @Test func fillBytesAreSkipped() throws {
        let plain = try JPEGCodec.encode(quadrants(width: 32, height: 32), quality: 80)
        var padded: [UInt8] = [0xFF, 0xD8]
        var at = 2
        for segment in segments(plain) {
            padded += [0xFF, 0xFF, 0xFF] // fill, then the marker
            padded += plain[(at + 1)..<(at + 4 + segment.payload.count)]
            at += 4 + segment.payload.count
        }
        padded += plain[at..<(plain.count - 2)] + [0xFF, 0xFF, 0xFF, 0xD9]
        let (out, _, failure) = strip(JPEGFixtures.withPrivateMetadata(padded, secret: "fill-secret"), chunk: 3)
        #expect(failure == nil)
        #expect(!out.contains(text: "fill-secret"))
        #expect(try JPEGCodec.decode(out, limits: ImageLimits()) == (try JPEGCodec.decode(plain, limits: ImageLimits())))
    }

    /// 64 MiB of header (comment segments, then fill bytes, then EXIF segments) is refused once past the limit,
    /// with at most one segment's first bytes (or one EXIF segment) held and every byte examined once.
    @Test(arguments: ["comments", "fill", "exif"])
    func pathologicalHeadersAreRefusedWithBoundedWork(kind: String) throws {
        let segment: [UInt8] = switch kind {
        case "comments": [0xFF, 0xFE, 0xFF, 0xFF] + [UInt8](repeating: 0x41, count: 65533)
        case "fill": [UInt8](repeating: 0xFF, count: 65537)
        default: [0xFF, 0xE1, 0xFF, 0xFF] + Array("Exif".utf8) + [0, 0, 0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8] + [UInt8](repeating: 0, count: 65519)
        }
        var stripper = JPEGMetadataStripper()
        var fed = 0, emitted = 0, mostHeld = 0
        _ = stripper.feed([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02])
        while fed < 64 << 20 && stripper.failure == nil {
            emitted += stripper.feed(segment).count
            fed += segment.count
            mostHeld = max(mostHeld, stripper.bufferedBytes)
        }
        #expect(stripper.failure?.code == "invalid_image")
        #expect(fed <= JPEGMetadataStripper.maxHeaderBytes + segment.count, "refused at the limit, not at the end")
        #expect(emitted <= 8, "nothing of the header came out")
        #expect(mostHeld <= (kind == "exif" ? 65533 : 14))
        #expect(stripper.work <= fed + 6, "each byte looked at once: \(stripper.work) steps for \(fed) bytes")
    }

    /// Scan data of any length costs one look per byte too, and passes through exactly.
    @Test func longScansAreLinear() throws {
        let plain = try JPEGCodec.encode(RGBAImage(width: 1024, height: 1024, pixels: pseudoRandomBytes(1024 * 1024 * 4, seed: 5)), quality: 95)
        var stripper = JPEGMetadataStripper()
        var out: [UInt8] = []
        for offset in stride(from: 0, to: plain.count, by: 1000) { out += stripper.feed(Array(plain[offset..<min(offset + 1000, plain.count)])) }
        out += stripper.finish()
        #expect(out == plain)
        #expect(stripper.work <= plain.count + 16, "\(stripper.work) steps for \(plain.count) bytes")
    }
}
