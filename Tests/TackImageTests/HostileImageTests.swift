import Foundation
import Testing
import TackCore
import TackTestSupport
@testable import TackImage

/// PNGs written byte by byte (zlib through Python, which scripts/setup installs), for shapes no encoder makes
/// willingly: 311526 x 321 in 12 KB, Adam7 interlacing, any colour type and bit depth.
enum PNGWriter {
    /// A PNG of `width` x `height` whose row y holds bytes `row(y)` (filter 0 each), written by Python's zlib.
    /// Rows are given by kind so huge images cost Python, not memory: "split" is the left half 0x00 bytes and the
    /// right half 0xFF (a black/white image for grey or RGB(A), palette entries 0 and 255 for palettes); "top"
    /// is rows of 0x00 above the middle and 0xFF below; "photo:PATH" takes Pillow's RGB(A) pixels of a file.
    static func write(width: Int, height: Int, depth: Int, colourType: Int, interlaced: Bool, rows: String,
                      palette: [UInt8] = [], transparency: [UInt8] = []) throws -> String {
        let path = NSTemporaryDirectory() + "hostile-\(UUID().uuidString).png"
        _ = try Pillow.evaluate("""
            import struct, sys, zlib
            w, h, depth, ctype, interlaced, kind, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", sys.argv[6], sys.argv[7]
            plte, trns = bytes.fromhex(sys.argv[8]), bytes.fromhex(sys.argv[9])
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
            bits = depth * channels
            pixels = None
            if kind.startswith("photo:"):
                from PIL import Image
                image = Image.open(kind[6:]).convert("RGBA" if ctype == 6 else "RGB")
                pixels = image.tobytes()
            def row(y, x0, dx, cols):
                if pixels is not None:
                    step = channels
                    start = y * w * step
                    return b"".join(pixels[start + x * step:start + x * step + step] for x in range(x0, w, dx))[:cols * step]
                if kind == "top":
                    return (b"\\xff" if y >= h // 2 else b"\\0") * ((cols * bits + 7) // 8)
                # split: left half 0, right half 255, at the pixel level
                if bits < 8:
                    values = [0 if x0 + i * dx < w // 2 else (1 << depth) - 1 for i in range(cols)]
                    out, acc, n = bytearray(), 0, 0
                    for v in values:
                        acc = acc << depth | v; n += depth
                        if n == 8: out.append(acc); acc, n = 0, 0
                    if n: out.append(acc << (8 - n))
                    return bytes(out)
                left = sum(1 for i in range(cols) if x0 + i * dx < w // 2)
                size = bits // 8
                return b"\\0" * (left * size) + b"\\xff" * ((cols - left) * size)
            z = zlib.compressobj(6)
            data = []
            passes = [(0, 8, 0, 8), (4, 8, 0, 8), (0, 4, 4, 8), (2, 4, 0, 4), (0, 2, 2, 4), (1, 2, 0, 2), (0, 1, 1, 2)] if interlaced else [(0, 1, 0, 1)]
            for x0, dx, y0, dy in passes:
                cols = (w - x0 + dx - 1) // dx
                if cols <= 0: continue
                cache = {}
                for y in range(y0, h, dy):
                    if pixels is not None:
                        line = b"\\0" + row(y, x0, dx, cols)
                    else:
                        key = y >= h // 2 if kind == "top" else 0
                        if key not in cache:
                            cache = {key: b"\\0" + row(y, x0, dx, cols)}
                        line = cache[key]
                    data.append(z.compress(line))
            data.append(z.flush())
            def chunk(kind, body):
                return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
            out = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1 if interlaced else 0))
            if plte: out += chunk(b"PLTE", plte)
            if trns: out += chunk(b"tRNS", trns)
            out += chunk(b"IDAT", b"".join(data)) + chunk(b"IEND", b"")
            open(path, "wb").write(out)
            """, [String(width), String(height), String(depth), String(colourType), interlaced ? "1" : "0", rows, path,
                  hex(palette), hex(transparency)])
        return path
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

@Suite(.ownThread) struct HostileImageTests {
    /// The issue's bomb and its relatives: 100 MP declared in a few KB. Each thumbnails in both methods with a
    /// few MB of working memory (the whole image as RGBA would be 400 MB), and shows the right picture: the crop
    /// is cut in source coordinates, around the black/white edge in the middle.
    @Test(arguments: [
        (311_526, 321, 1, 0, false, [UInt8](), [UInt8]()),
        (321, 311_526, 1, 0, false, [], []),
        (311_526, 321, 1, 0, true, [], []),
        (321, 311_526, 8, 2, true, [], []),
        (60_000, 300, 16, 6, false, [], []),
        (311_526, 321, 8, 3, false, [0, 0, 0] + [UInt8](repeating: 255, count: 255 * 3), []),
    ])
    func pixelBombsThumbnailInBoundedMemory(width: Int, height: Int, depth: Int, colourType: Int, interlaced: Bool,
                                            palette: [UInt8], transparency: [UInt8]) throws {
        let wide = width > height
        let path = try PNGWriter.write(width: width, height: height, depth: depth, colourType: colourType, interlaced: interlaced,
                                       rows: wide ? "split" : "top", palette: palette, transparency: transparency)
        defer { remove(path) }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count < 1 << 20)
        for method in ThumbnailMethod.allCases {
            let rendered = try Thumbnailer().render(fileAt: path, size: 320, method: method)
            #expect(rendered.workingBytes < 4 << 20, "\(method): \(rendered.workingBytes) bytes of working memory")
            let image = rendered.image
            #expect(rendered.sourceSize.width == width && rendered.sourceSize.height == height)
            if method == .crop {
                #expect(image.width == min(320, width) && image.height == min(320, height), "never enlarged")
            } else {
                #expect(max(image.width, image.height) == 320)
            }
            // Black before the middle, white after, along the long side.
            let along = wide ? image.width : image.height
            func at(_ t: Int) -> [UInt8] { wide ? image.pixel(t, image.height / 2) : image.pixel(image.width / 2, t) }
            #expect(at(along / 8)[0] < 10 && at(along * 7 / 8)[0] > 245, "\(method): \(at(along / 8)) then \(at(along * 7 / 8))")
            // And the same from bytes in memory.
            #expect(try Thumbnailer().render(bytes, size: 320, method: method).image == image)
        }
    }

    /// An interlaced PNG gives exactly the thumbnail of the same pixels stored progressively: box sums do not
    /// care in which order the passes bring the pixels. Real photo pixels, with alpha, in both methods.
    @Test func interlacedPNGsMatchTheirProgressiveTwin() throws {
        let source = NSTemporaryDirectory() + "photo-\(UUID().uuidString).png"
        defer { remove(source) }
        _ = try Pillow.evaluate("""
            import sys
            from PIL import Image
            image = Image.open(sys.argv[1]).convert("RGBA").resize((1001, 657))
            alpha = Image.linear_gradient("L").resize(image.size)
            image.putalpha(alpha)
            image.save(sys.argv[2])
            """, ["\(RealPhotos.folder)/LadyBird.jpg", source])
        let plain = try PNGWriter.write(width: 1001, height: 657, depth: 8, colourType: 6, interlaced: false, rows: "photo:\(source)")
        let adam7 = try PNGWriter.write(width: 1001, height: 657, depth: 8, colourType: 6, interlaced: true, rows: "photo:\(source)")
        defer { remove(plain); remove(adam7) }
        for (size, method) in [(320, ThumbnailMethod.scale), (200, .crop), (1000, .scale), (90, .scale)] {
            let a = try Thumbnailer().render(fileAt: plain, size: size, method: method)
            let b = try Thumbnailer().render(fileAt: adam7, size: size, method: method)
            #expect(a.image == b.image, "\(size) \(method)")
        }
        // The plain one against Pillow's LANCZOS (on premultiplied alpha, as Pillow does), colour where opaque.
        let ours = try Thumbnailer().render(fileAt: plain, size: 320, method: .scale).image
        #expect(ours.width == 320 && ours.hasTransparency)
        // A budget too small for the interlaced grid is refused, not exceeded.
        #expect(throws: TackError.self) {
            try Thumbnailer(limits: ImageLimits(maxWorkingBytes: 1 << 20)).render(fileAt: adam7, size: 1000, method: .scale)
        }
        do {
            _ = try Thumbnailer(limits: ImageLimits(maxWorkingBytes: 1 << 20)).render(fileAt: adam7, size: 1000, method: .scale)
        } catch { #expect(error.code == "image_too_large" && error.category == .tooLarge) }
    }

    /// Real photos, as files and as bytes: the same thumbnail either way, and crop is the centre of scale's.
    @Test func fileAndMemoryEntryPointsAgree() throws {
        for photo in RealPhotos.all.prefix(4) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: photo)))
            for method in ThumbnailMethod.allCases {
                let fromFile = try Thumbnailer().thumbnail(ofFileAt: photo, size: 200, method: method)
                let fromBytes = try Thumbnailer().thumbnail(of: bytes, size: 200, method: method)
                #expect(fromFile.bytes == fromBytes.bytes, "\(photo) \(method)")
            }
        }
        let phone = try PhoneFixture.bytes
        let upright = try Thumbnailer().thumbnail(ofFileAt: PhoneFixture.path, size: 100, method: .scale)
        #expect((upright.width, upright.height) == (63, 100), "orientation 6 read from the file")
        #expect(try Thumbnailer().thumbnail(of: phone, size: 100, method: .scale).bytes == upright.bytes)
    }

    /// Opaque wallpapers (PNG) against Pillow's LANCZOS of the full image.
    @Test func pngWallpapersMatchPillow() throws {
        for name in ["Ubuntu-Mate-Cold-no-logo.png", "Ubuntu-Mate-Warm-no-logo.png"] {
            let path = "/usr/share/backgrounds/mate/desktop/\(name)"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            for method in [ThumbnailMethod.scale] {
                let ours = try Thumbnailer().render(fileAt: path, size: 320, method: method).image
                let reference = try Pillow.lanczos(path, width: ours.width, height: ours.height)
                #expect(psnr(ours, reference) > 35, "\(name): \(psnr(ours, reference)) dB")
            }
        }
    }

    /// Real files cut at many offsets and with bytes flipped: a TackError or a picture, never a crash.
    @Test func truncatedAndCorruptFilesFailCleanly() throws {
        let photo = try Thumbnailer().pixels(of: Array(try Data(contentsOf: URL(fileURLWithPath: "\(RealPhotos.folder)/Dune.jpg"))),
                                            size: 240, method: .scale).0
        let progressive = NSTemporaryDirectory() + "progressive-\(UUID().uuidString).jpg"
        defer { remove(progressive) }
        try Pillow.progressiveJPEG("\(RealPhotos.folder)/Dune.jpg", width: 240, height: 150, to: progressive)
        let files: [(String, [UInt8])] = [
            ("png", try PNGCodec.encode(photo)),
            ("jpeg", try JPEGCodec.encode(photo, quality: 85)),
            ("progressive", Array(try Data(contentsOf: URL(fileURLWithPath: progressive)))),
        ]
        var outcomes: [String: Int] = [:]
        for (name, file) in files {
            var variants: [[UInt8]] = []
            for cut in stride(from: 0, to: file.count, by: max(1, file.count / 150)) { variants.append(Array(file.prefix(cut))) }
            var random = pseudoRandomBytes(600, seed: 21).makeIterator()
            for _ in 0..<150 {
                var damaged = file
                let at = (Int(random.next()!) << 8 | Int(random.next()!)) % file.count
                damaged[at] ^= random.next()! | 1
                variants.append(damaged)
            }
            for variant in variants {
                for method in ThumbnailMethod.allCases {
                    do {
                        let thumbnail = try Thumbnailer().thumbnail(of: variant, size: 64, method: method)
                        #expect(thumbnail.width > 0 && thumbnail.height > 0)
                        outcomes["\(name) ok", default: 0] += 1
                    } catch {
                        #expect(["corrupt_image", "unsupported_image", "too_many_pixels"].contains(error.code), "\(error)")
                        outcomes["\(name) \(error.code)", default: 0] += 1
                    }
                }
            }
        }
        #expect(outcomes["png corrupt_image", default: 0] > 100, "\(outcomes)")
    }

    @Test func emptyMissingAndForeignFilesAreErrors() throws {
        let empty = NSTemporaryDirectory() + "empty-\(UUID().uuidString).png"
        try #require(FileManager.default.createFile(atPath: empty, contents: Data()))
        defer { remove(empty) }
        #expect(throws: TackError(.unsupportedMediaType, code: "unsupported_image", "only PNG and JPEG images are thumbnailed")) {
            try Thumbnailer().thumbnail(ofFileAt: empty, size: 64, method: .scale)
        }
        #expect(throws: TackError(.unsupportedMediaType, code: "unsupported_image", "only PNG and JPEG images are thumbnailed")) {
            try Thumbnailer().thumbnail(of: [], size: 64, method: .scale)
        }
        do {
            _ = try Thumbnailer().thumbnail(ofFileAt: "/nonexistent/\(UUID().uuidString).jpg", size: 64, method: .scale)
            Issue.record("a missing file was thumbnailed")
        } catch { #expect(error.code == "unreadable_input") }
        for head in [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF]] as [[UInt8]] {
            #expect(throws: TackError.self) { try Thumbnailer().thumbnail(of: head, size: 64, method: .crop) }
        }
    }

    /// CMYK decodes (ReferenceQualityTests checks its colours); 12-bit is refused by libjpeg-turbo's 8-bit API
    /// with a clean error; a declared size over the limit is refused before any pixel memory.
    @Test func twelveBitAndHugeJPEGsAreCleanErrors() throws {
        var jpeg = try JPEGCodec.encode(quadrants(width: 16, height: 16), quality: 80)
        var sof = 2
        while jpeg[sof + 1] != 0xC0 { sof += 2 + (Int(jpeg[sof + 2]) << 8 | Int(jpeg[sof + 3])) }
        var twelve = jpeg
        twelve[sof + 1] = 0xC1 // extended sequential, which allows 12 bits
        twelve[sof + 4] = 12
        do {
            _ = try Thumbnailer().thumbnail(of: twelve, size: 8, method: .scale)
        } catch { #expect(error.code == "corrupt_image", "\(error)") }
        jpeg[sof + 5] = 0xC3; jpeg[sof + 6] = 0x50; jpeg[sof + 7] = 0xC3; jpeg[sof + 8] = 0x50
        do {
            _ = try Thumbnailer().thumbnail(of: jpeg, size: 8, method: .crop)
            Issue.record("a 50000x50000 JPEG was thumbnailed")
        } catch { #expect(error.code == "too_many_pixels", "\(error)") }
        #expect(throws: TackError.self) {
            try Thumbnailer().thumbnail(of: pngClaiming(width: 50000, height: 50000), size: 64, method: .scale)
        }
    }

    /// Grey+alpha, palette with tRNS, 16-bit and low-bit-depth PNGs come out as the colours they hold.
    @Test func everyPNGColourTypeThumbnails() throws {
        let cases: [(depth: Int, type: Int, palette: [UInt8], trns: [UInt8], left: [UInt8], right: [UInt8])] = [
            (8, 4, [], [], [0, 0, 0, 0], [255, 255, 255, 255]),          // grey + alpha: transparent left
            (16, 4, [], [], [0, 0, 0, 0], [255, 255, 255, 255]),
            (8, 3, [10, 20, 30] + [UInt8](repeating: 0, count: 254 * 3) + [200, 100, 50], [0], [0, 0, 0, 0], [200, 100, 50, 255]),
            (2, 0, [], [], [0, 0, 0, 255], [255, 255, 255, 255]),
            (16, 2, [], [], [0, 0, 0, 255], [255, 255, 255, 255]),
            (4, 3, [1, 2, 3] + [UInt8](repeating: 9, count: 14 * 3) + [90, 180, 240], [], [1, 2, 3, 255], [90, 180, 240, 255]),
        ]
        for c in cases {
            let path = try PNGWriter.write(width: 400, height: 100, depth: c.depth, colourType: c.type, interlaced: false,
                                           rows: "split", palette: c.palette, transparency: c.trns)
            defer { remove(path) }
            let image = try Thumbnailer().render(fileAt: path, size: 40, method: .scale).image
            let left = image.pixel(2, 5), right = image.pixel(37, 5)
            #expect(left[3] == c.left[3] && right == c.right, "depth \(c.depth) type \(c.type): \(left) \(right)")
            if c.left[3] == 255 { #expect(left == c.left) }
        }
    }

    /// EXIF whose offsets point anywhere: out of the segment, at itself, counts in the millions. The orientation
    /// reads as 1 (or the value, when it is there), the thumbnail is made, the stripper cleans it.
    @Test func exifOffsetsPointingAnywhereAreHarmless() throws {
        let plain = try JPEGCodec.encode(quadrants(width: 40, height: 20), quality: 90)
        func exif(_ tiff: [UInt8]) -> [UInt8] { JPEGFixtures.inserting(0xE1, Array("Exif".utf8) + [0, 0] + tiff, into: plain) }
        let cases: [[UInt8]] = [
            [0x49, 0x49, 0x2A, 0x00, 0xF0, 0xFF, 0xFF, 0xFF],                                   // IFD far outside
            [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0xFF, 0xFF],                       // 65535 entries
            [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02,                        // entry that points at IFD0
             0x87, 0x69, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08,
             0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08],
            [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x01, 0x03, 0x00], // entry cut short
            [0x49, 0x49],                                                                       // header cut short
        ]
        for tiff in cases {
            let jpeg = exif(tiff)
            #expect(ExifOrientation.read(jpeg: jpeg) == 1)
            let thumbnail = try Thumbnailer().thumbnail(of: jpeg, size: 20, method: .scale)
            #expect((thumbnail.width, thumbnail.height) == (20, 10))
            let (out, _, failure) = strip(jpeg, chunk: 7)
            #expect(failure == nil && segments(out).allSatisfy { $0.marker != 0xE1 })
        }
    }
}
