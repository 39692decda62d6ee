import Foundation
import TackCore
import Testing
import TackTestSupport
@testable import TackImage

/// The PPMs tackd's preview worker has pdftoppm and ffmpeg write: read exactly, and anything else refused cleanly.
@Suite(.ownThread) struct PixmapTests {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "pixmap-\(UUID().uuidString).ppm"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A 40x20 picture written by pdftoppm's and ffmpeg's own header style, thumbnailed to 20x10 (scale) and 10x10
    /// (crop): every pixel's colour comes through.
    @Test func pixelsComeThrough() throws {
        var bytes = Array("P6\n40 20\n255\n".utf8)
        for _ in 0..<20 { for x in 0..<40 { bytes += x < 20 ? [255, 0, 0] : [0, 0, 255] } }
        let path = try write(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let thumbnail = try Thumbnailer(limits: ImageLimits()).thumbnail(ofPixmapAt: path, size: 20, method: .scale)
        let image = try JPEGCodec.decode(thumbnail.bytes, limits: ImageLimits())
        #expect((thumbnail.width, thumbnail.height) == (20, 10) && (thumbnail.sourceWidth, thumbnail.sourceHeight) == (40, 20))
        #expect(image.pixel(2, 5)[0] > 230 && image.pixel(2, 5)[2] < 30)
        #expect(image.pixel(17, 5)[2] > 230 && image.pixel(17, 5)[0] < 30)
        let square = try Thumbnailer(limits: ImageLimits()).thumbnail(ofPixmapAt: path, size: 10, method: .crop)
        #expect((square.width, square.height) == (10, 10))
    }

    /// A picture already at the thumbnail's size (as tackd preview draws pages and frames for `scale`) is the
    /// thumbnail pixel for pixel, and a square crop of a picture as tall as the square keeps its middle columns.
    @Test func aPictureAtTheThumbnailsSizeIsKeptAsItIs() throws {
        // 40x20: a 4-pixel-wide vertical stripe of each of four colours, repeated, so any resampling would blend them.
        let colours: [[UInt8]] = [[250, 10, 10], [10, 250, 10], [10, 10, 250], [250, 250, 10]]
        var bytes = Array("P6\n40 20\n255\n".utf8)
        for _ in 0..<20 { for x in 0..<40 { bytes += colours[(x / 4) % 4] } }
        let path = try write(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let thumbnailer = Thumbnailer(limits: ImageLimits())
        let same = try thumbnailer.thumbnail(ofPixmapAt: path, size: 40, method: .scale)
        #expect((same.width, same.height) == (40, 20))
        let image = try JPEGCodec.decode(same.bytes, limits: ImageLimits())
        for x in [1, 6, 10, 14, 38] {
            let expected = colours[(x / 4) % 4], got = image.pixel(x, 10)
            #expect(zip(expected, got).allSatisfy { abs(Int($0) - Int($1)) < 40 }, "x \(x): \(got) for \(expected)")
        }
        // Crop to 20: the middle 20 columns (10 to 29), which start with colour (10 / 4) % 4 = 2.
        let square = try thumbnailer.thumbnail(ofPixmapAt: path, size: 20, method: .crop)
        let cropped = try JPEGCodec.decode(square.bytes, limits: ImageLimits())
        #expect((square.width, square.height) == (20, 20))
        #expect(cropped.pixel(0, 10)[2] > 200 && cropped.pixel(0, 10)[0] < 60, "\(cropped.pixel(0, 10))")
        #expect(cropped.pixel(3, 10)[0] > 200 && cropped.pixel(3, 10)[1] > 200, "\(cropped.pixel(3, 10))")
    }

    /// A comment, other whitespace, and the one byte that ends the header, which may itself look like a pixel.
    @Test func headerSpellings() throws {
        let path = try write(Array("P6 # by hand\n2\t1\r\n255 ".utf8) + [32, 32, 32, 200, 100, 50])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try #require(fopen(path, "rb"))
        defer { fclose(file) }
        let reader = try PixmapRowReader(file)
        #expect((reader.width, reader.height) == (2, 1))
        var row = [UInt8](repeating: 0, count: 8)
        try reader.next(into: &row)
        #expect(row == [32, 32, 32, 255, 200, 100, 50, 255])
    }

    @Test(arguments: [
        ("P5\n2 2\n255\n", "P6"),                    // a grey map
        ("P6\n2 2\n65535\n", "8-bit"),               // 16-bit samples
        ("P6\n0 2\n255\n", "0x2"),
        ("P6\n999999 2\n255\n", "too long"),
        ("P6\n-2 2\n255\n", "not a number"),
        ("P6\n2 2\n255\n\u{1}\u{2}", "ends inside"), // cut short
        ("P6\n2", "not a number"),                   // cut inside the header
    ])
    func damagedOnesAreRefused(header: String, reason: String) throws {
        let path = try write(Array(header.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try Thumbnailer(limits: ImageLimits()).thumbnail(ofPixmapAt: path, size: 64, method: .scale)
        } throws: { error in
            (error as? TackError)?.code == "corrupt_image" && (error as? TackError)?.message.contains(reason) == true
        }
    }

    /// The pixel limit holds before a row is read.
    @Test func theLimitHolds() throws {
        let path = try write(Array("P6\n60000 60000\n255\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TackError.self) {
            _ = try Thumbnailer(limits: ImageLimits(maxPixels: 1 << 20)).thumbnail(ofPixmapAt: path, size: 64, method: .scale)
        }
    }
}
