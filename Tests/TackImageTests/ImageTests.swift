import CPNG
import Foundation
import Testing
import TackCore
import TackTestSupport
@testable import TackImage

/// A 2x2-block test card: red, green / blue, white quadrants, so any rotation or mirror is visible.
func quadrants(width: Int, height: Int, alpha: UInt8 = 255) -> RGBAImage {
    var pixels = [UInt8]()
    for y in 0..<height {
        for x in 0..<width {
            let colour: [UInt8] = switch (x < width / 2, y < height / 2) {
            case (true, true): [255, 0, 0]
            case (false, true): [0, 255, 0]
            case (true, false): [0, 0, 255]
            case (false, false): [255, 255, 255]
            }
            pixels += colour + [alpha]
        }
    }
    return RGBAImage(width: width, height: height, pixels: pixels)
}

/// Which quadrant colour is near a point, tolerant of JPEG's small errors.
func colourName(_ p: [UInt8]) -> String {
    switch (p[0] > 128, p[1] > 128, p[2] > 128) {
    case (true, false, false): "red"
    case (false, true, false): "green"
    case (false, false, true): "blue"
    case (true, true, true): "white"
    default: "other \(p)"
    }
}

func withOrientation(_ jpeg: [UInt8], _ value: UInt16) -> [UInt8] { JPEGFixtures.withOrientation(jpeg, value) }


/// Writes a PNG through libpng's simplified writer in any of its formats (16-bit linear, palette, grey).
func libpngWrite(width: Int, height: Int, format: UInt32, pixels: [UInt8], colormap: [UInt8]? = nil, entries: Int = 0) -> [UInt8] {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format
    image.colormap_entries = UInt32(entries)
    var size = 0
    _ = pixels.withUnsafeBytes { p in
        colormap.map { map in map.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, p.baseAddress, 0, $0.baseAddress) } }
            ?? png_image_write_to_memory(&image, nil, &size, 0, p.baseAddress, 0, nil)
    }
    var out = [UInt8](repeating: 0, count: size)
    _ = pixels.withUnsafeBytes { p in
        out.withUnsafeMutableBytes { o in
            colormap.map { map in map.withUnsafeBytes { png_image_write_to_memory(&image, o.baseAddress, &size, 0, p.baseAddress, 0, $0.baseAddress) } }
                ?? png_image_write_to_memory(&image, o.baseAddress, &size, 0, p.baseAddress, 0, nil)
        }
    }
    return Array(out.prefix(size))
}

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A tiny PNG whose header claims a size; its pixel data is a few bytes.
func pngClaiming(width: UInt32, height: UInt32) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    let ihdr = Array("IHDR".utf8) + be(width) + be(height) + [8, 6, 0, 0, 0]
    let idat = Array("IDAT".utf8) + [0x78, 0x9C, 0x63, 0x00, 0x00]  // the start of a zlib stream, nowhere near enough
    let iend = Array("IEND".utf8)
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be(13) + ihdr + be(crc32(ihdr))
        + be(5) + idat + be(crc32(idat)) + be(0) + iend + be(crc32(iend))
}

@Suite(.ownThread) struct CodecTests {
    @Test func pngRoundTripsExactlyWithAlpha() throws {
        var image = quadrants(width: 40, height: 30)
        for i in stride(from: 3, to: image.pixels.count, by: 8) { image.pixels[i] = 77 }
        let decoded = try PNGCodec.decode(try PNGCodec.encode(image), limits: ImageLimits())
        #expect(decoded == image)
    }

    @Test func sixteenBitGreyAndPalettePNGsDecode() throws {
        // 16-bit linear RGBA, written by libpng itself.
        var wide = [UInt8]()
        for _ in 0..<(8 * 8) { wide += [0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF] } // red, opaque (little-endian u16)
        let sixteen = libpngWrite(width: 8, height: 8,
                                  format: UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_LINEAR), pixels: wide)
        #expect(sixteen[24] == 16, "bit depth in IHDR")
        #expect(try PNGCodec.decode(sixteen, limits: ImageLimits()).pixel(3, 3) == [255, 0, 0, 255])
        // Palette with a transparent entry.
        let palette = libpngWrite(width: 4, height: 1, format: UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLORMAP),
                                  pixels: [0, 1, 1, 0], colormap: [0, 0, 255, 255, 0, 0, 0, 0], entries: 2)
        #expect(palette[25] == 3, "colour type 3 (palette)")
        let decoded = try PNGCodec.decode(palette, limits: ImageLimits())
        #expect(decoded.pixel(0, 0) == [0, 0, 255, 255])
        #expect(decoded.pixel(1, 0)[3] == 0)
        // Grey.
        let grey = libpngWrite(width: 2, height: 1, format: 0, pixels: [0, 200])
        #expect(try PNGCodec.decode(grey, limits: ImageLimits()).pixel(1, 0) == [200, 200, 200, 255])
    }

    @Test func jpegRoundTripIsClose() throws {
        var gradient = [UInt8]()
        for y in 0..<64 { for x in 0..<96 { gradient += [UInt8(x * 2), UInt8(y * 3), 128, 255] } }
        let image = RGBAImage(width: 96, height: 64, pixels: gradient)
        let decoded = try JPEGCodec.decode(try JPEGCodec.encode(image, quality: 90), limits: ImageLimits())
        #expect(decoded.width == 96 && decoded.height == 64)
        #expect(psnr(image, decoded) > 35)
    }

    @Test func jpegShrinksWhileDecoding() throws {
        let big = try JPEGCodec.encode(quadrants(width: 1600, height: 1200), quality: 80)
        let small = try JPEGCodec.decode(big, limits: ImageLimits(), minimum: (150, 150))
        #expect(small.width == 200 && small.height == 150, "1/8 scale is the largest that keeps 150 px")
        #expect(colourName(small.pixel(20, 20)) == "red")
        #expect(colourName(small.pixel(180, 130)) == "white")
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeDecoding() throws {
        #expect(throws: TackError.self) { try PNGCodec.decode(pngClaiming(width: 50000, height: 50000), limits: ImageLimits()) }
        do {
            _ = try PNGCodec.decode(pngClaiming(width: 50000, height: 50000), limits: ImageLimits())
        } catch {
            #expect(error.code == "too_many_pixels")
        }
        var jpeg = try JPEGCodec.encode(quadrants(width: 16, height: 16), quality: 80)
        // Patch the SOF0 frame header to claim 50000x50000.
        var sof = 2
        while jpeg[sof + 1] != 0xC0 { sof += 2 + (Int(jpeg[sof + 2]) << 8 | Int(jpeg[sof + 3])) } // walk the segments
        jpeg[sof + 5] = 0xC3; jpeg[sof + 6] = 0x50; jpeg[sof + 7] = 0xC3; jpeg[sof + 8] = 0x50
        do {
            _ = try JPEGCodec.decode(jpeg, limits: ImageLimits())
            Issue.record("a 50000x50000 JPEG was decoded")
        } catch {
            #expect(error.code == "too_many_pixels", "\(error)")
        }
    }

    @Test func brokenFilesAreErrorsNotCrashes() throws {
        let png = try PNGCodec.encode(quadrants(width: 64, height: 64))
        let jpeg = try JPEGCodec.encode(quadrants(width: 64, height: 64), quality: 80)
        var garbage = Array(png.prefix(33)) + pseudoRandomBytes(4000, seed: 3)
        for bytes in [Array(png.prefix(png.count / 2)), garbage, Array(pngClaiming(width: 10, height: 10).dropLast(12))] {
            #expect(throws: TackError.self) { try PNGCodec.decode(bytes, limits: ImageLimits()) }
        }
        garbage = Array(jpeg.prefix(20)) + pseudoRandomBytes(4000, seed: 4)
        for bytes in [Array(jpeg.prefix(10)), garbage] {
            #expect(throws: TackError.self) { try JPEGCodec.decode(bytes, limits: ImageLimits()) }
        }
        // A JPEG cut in the middle of its scan decodes what is there (libjpeg fills the rest), without crashing.
        _ = try? JPEGCodec.decode(Array(jpeg.prefix(jpeg.count * 2 / 3)), limits: ImageLimits())
    }
}

@Suite(.ownThread) struct OrientationTests {
    @Test(arguments: [
        (1, ["red", "green", "blue", "white"]), (2, ["green", "red", "white", "blue"]),
        (3, ["white", "blue", "green", "red"]), (4, ["blue", "white", "red", "green"]),
        (5, ["red", "blue", "green", "white"]), (6, ["blue", "red", "white", "green"]),
        (7, ["white", "green", "blue", "red"]), (8, ["green", "white", "red", "blue"]),
    ])
    func everyExifOrientationComesOutUpright(value: Int, corners: [String]) throws {
        // Stored 80x40; orientations 5-8 swap the sides.
        let jpeg = withOrientation(try JPEGCodec.encode(quadrants(width: 80, height: 40), quality: 90), UInt16(value))
        #expect(ExifOrientation.read(jpeg: jpeg) == value)
        let thumb = try Thumbnailer().thumbnail(of: jpeg, size: 40, method: .scale)
        #expect(value >= 5 ? (thumb.width, thumb.height) == (20, 40) : (thumb.width, thumb.height) == (40, 20))
        let image = try JPEGCodec.decode(thumb.bytes, limits: ImageLimits())
        let w = image.width, h = image.height
        let seen = [image.pixel(2, 2), image.pixel(w - 3, 2), image.pixel(2, h - 3), image.pixel(w - 3, h - 3)].map(colourName)
        #expect(seen == corners, "orientation \(value)")
    }
}

@Suite(.ownThread) struct ThumbnailTests {
    @Test func scaleFitsAndNeverEnlarges() throws {
        let png = try PNGCodec.encode(quadrants(width: 1000, height: 500))
        let thumb = try Thumbnailer().thumbnail(of: png, size: 320, method: .scale)
        #expect((thumb.width, thumb.height) == (320, 160))
        #expect(thumb.format == .jpeg, "opaque images become JPEG")
        let small = try Thumbnailer().thumbnail(of: try PNGCodec.encode(quadrants(width: 50, height: 20)), size: 320, method: .scale)
        #expect((small.width, small.height) == (50, 20))
        let crop = try Thumbnailer().thumbnail(of: png, size: 320, method: .crop)
        #expect((crop.width, crop.height) == (320, 320))
    }

    @Test func alphaSurvivesInPNG() throws {
        let png = try PNGCodec.encode(quadrants(width: 200, height: 200, alpha: 100))
        let thumb = try Thumbnailer().thumbnail(of: png, size: 64, method: .scale)
        #expect(thumb.format == .png)
        let decoded = try PNGCodec.decode(thumb.bytes, limits: ImageLimits())
        #expect(abs(Int(decoded.pixel(10, 10)[3]) - 100) <= 1)
        #expect(colourName(decoded.pixel(10, 10)) == "red", "transparent pixels keep their colour (premultiplied resize)")
    }

    @Test func extremeShapesThumbnail() throws {
        for (w, h) in [(1, 100_000), (100_000, 1)] {
            let png = try PNGCodec.encode(RGBAImage(width: w, height: h, fill: (10, 20, 30, 255)))
            let thumb = try Thumbnailer().thumbnail(of: png, size: 64, method: .scale)
            #expect(max(thumb.width, thumb.height) == 64 && min(thumb.width, thumb.height) == 1)
        }
    }

    @Test func downscalingMatchesAHighQualityReference() throws {
        // A smooth pattern with detail: the Lanczos result from a 4x reduction must stay close to the pattern
        // sampled directly at the small size.
        func pattern(_ w: Int, _ h: Int, scale: Double) -> RGBAImage {
            var pixels = [UInt8]()
            for y in 0..<h {
                for x in 0..<w {
                    let u = (Double(x) + 0.5) * scale, v = (Double(y) + 0.5) * scale
                    pixels += [UInt8(127.5 + 127 * sin(u / 9)), UInt8(127.5 + 127 * cos(v / 13)), UInt8((u + v) / 9), 255]
                }
            }
            return RGBAImage(width: w, height: h, pixels: pixels)
        }
        let large = pattern(1280, 960, scale: 1)
        let reduced = Resampler.lanczos3(large, width: 320, height: 240)
        #expect(psnr(reduced, pattern(320, 240, scale: 4)) > 35)
    }
}

@Suite(.ownThread) struct ResizeTests {
    @Test func boxShrinkAveragesBlocksWithoutDarkeningTransparentEdges() {
        var image = RGBAImage(width: 4, height: 2, fill: (200, 100, 0, 255))
        for x in 0..<2 { image.pixels[x * 4 + 3] = 0; image.pixels[x * 4] = 0 } // two transparent black pixels
        let shrunk = Resampler.boxShrink(image, by: 2)
        #expect((shrunk.width, shrunk.height) == (2, 1))
        #expect(shrunk.pixel(0, 0) == [200, 100, 0, 128], "colour from the visible pixels only, alpha averaged")
        #expect(shrunk.pixel(1, 0) == [200, 100, 0, 255])
    }

    /// Blocks of 300 x 300 white pixels sum past 2^32 (a 180000 x 540 PNG thumbnailed to 320 px shrinks by 270).
    @Test func hugeBlockFactorsDoNotOverflow() {
        let shrunk = Resampler.boxShrink(RGBAImage(width: 600, height: 600, fill: (255, 255, 255, 255)), by: 300)
        #expect((shrunk.width, shrunk.height) == (2, 2))
        #expect(shrunk.pixels.allSatisfy { $0 == 255 })
    }

    @Test func largeReductionsStayClose() {
        var pixels = [UInt8]()
        for y in 0..<2400 { for x in 0..<3200 { pixels += [UInt8(127.5 + 127 * sin(Double(x) / 40)), UInt8(y / 10), 90, 255] } }
        let large = RGBAImage(width: 3200, height: 2400, pixels: pixels)
        let direct = Resampler.lanczos3(large, width: 320, height: 240)
        let staged = Resampler.resize(large, width: 320, height: 240)
        #expect(psnr(direct, staged) > 40)
        // The streaming resizer the thumbnailer uses, fed row by row: the same picture as the whole-image path.
        let plan = ResizePlan(decodedWidth: 3200, decodedHeight: 2400, boxWidth: 320, boxHeight: 240, outputWidth: 320, outputHeight: 240)
        #expect((plan.factorX, plan.factorY) == (5, 5))
        let streaming = StreamingResizer(plan: plan, opaque: true)
        large.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<2400 { streaming.push(row: y, pixels.baseAddress! + y * 3200 * 4) }
        }
        #expect(streaming.isComplete)
        #expect(psnr(direct, streaming.image()) > 40)
        #expect(streaming.workingBytes - 320 * 240 * 4 < 3200 * 4 * 16, "the output and less than 16 source rows, not the 30 MB image")
    }
}
