import Foundation
import Testing
import TackTestSupport
@testable import TackImage

@Suite struct MetadataStripperTests {
    /// An EXIF segment with orientation and a GPS-looking payload, an XMP segment and a comment.
    func photoWithMetadata(orientation: UInt16) throws -> [UInt8] {
        let plain = try JPEGCodec.encode(quadrants(width: 64, height: 32), quality: 90)
        return JPEGFixtures.withPrivateMetadata(withOrientation(plain, orientation), secret: "GPS 52.5200N 13.4050E")
    }

    func strip(_ bytes: [UInt8], chunk: Int) -> ([UInt8], Bool) {
        var stripper = JPEGMetadataStripper()
        var out: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            out += stripper.feed(Array(bytes[offset..<min(offset + chunk, bytes.count)]))
            offset += chunk
        }
        out += stripper.finish()
        return (out, stripper.stripped)
    }

    @Test(arguments: [1, 7, 4096])
    func removesMetadataButKeepsThePictureUpright(chunk: Int) throws {
        let original = try photoWithMetadata(orientation: 6)
        let (stripped, did) = strip(original, chunk: chunk)
        #expect(did)
        #expect(stripped.count < original.count)
        let text = String(decoding: stripped, as: UTF8.self)
        #expect(!text.contains("GPS 52.5200N"), "the XMP location is gone")
        #expect(!text.contains("taken at"), "the comment is gone")
        #expect(ExifOrientation.read(jpeg: stripped) == 6, "the orientation survives")
        let before = try Thumbnailer().thumbnail(of: original, size: 32, method: .scale)
        let after = try Thumbnailer().thumbnail(of: stripped, size: 32, method: .scale)
        #expect((after.width, after.height) == (before.width, before.height))
        #expect(try JPEGCodec.decode(after.bytes, limits: ImageLimits()) == (try JPEGCodec.decode(before.bytes, limits: ImageLimits())),
                "the pixels are exactly the same")
    }

    @Test func leavesEverythingElseAlone() throws {
        let plain = try JPEGCodec.encode(quadrants(width: 16, height: 16), quality: 80)
        #expect(strip(plain, chunk: 5) == (plain, false), "nothing to remove: byte for byte the same")
        let png = try PNGCodec.encode(quadrants(width: 16, height: 16))
        #expect(strip(png, chunk: 3) == (png, false))
        let noise = pseudoRandomBytes(5000, seed: 9)
        #expect(strip(noise, chunk: 100) == (noise, false))
        let truncated = Array(try photoWithMetadata(orientation: 1).prefix(40))
        #expect(strip(truncated, chunk: 8) == (truncated, false), "a header that never ends is passed through")
    }
}
