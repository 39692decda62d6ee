import Foundation
import TackImage
import TackTestSupport
import Testing
@testable import TackCapture

/// Screenshots written as PNG come back pixel for pixel through libpng (our reader) and Pillow, whatever the
/// encoder chose: an exact palette for screens of at most 256 colours, RGB with per-row filters otherwise, on
/// screens of depth 16, 24 and 30.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct PNGEncodingTests {
    func write(_ shot: Screenshot, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        try shot.withUnsafeBytes {
            try ImageFileWriter.write($0, width: shot.width, height: shot.height, stride: shot.bytesPerRow, layout: .bgrx,
                                      format: .png, to: fd)
        }
    }

    @Test(arguments: ScreenScene.allCases, [16, 24, 30])
    func everyPixelComesBack(_ scene: ScreenScene, depth: Int) throws {
        let (shot, programs) = try scene.capture(depth: depth)
        defer { _ = programs }
        let path = NSTemporaryDirectory() + "png-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(shot, to: path)
        let file = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let colours = Set(stride(from: 0, to: shot.width * shot.height, by: 1).lazy.map { index -> UInt32 in
            shot.withUnsafeBytes { $0.load(fromByteOffset: (index / shot.width) * shot.bytesPerRow + (index % shot.width) * 4, as: UInt32.self) & 0xFFFFFF }
        }).count
        // IHDR's colour type, byte 25: 3 is a palette, 2 is RGB.
        #expect(file[25] == (colours <= 256 ? 3 : 2), "\(scene) at depth \(depth): \(colours) colours")
        if scene == .photo { #expect(colours > 256) }

        let expected = shot.rgb()
        let ours = try PNGCodec.decode(file, limits: ImageLimits())
        var decoded = [UInt8]()
        decoded.reserveCapacity(expected.count)
        for i in stride(from: 0, to: ours.pixels.count, by: 4) { decoded += ours.pixels[i..<i + 3] }
        #expect(decoded == expected, "libpng reads back other pixels (\(scene), depth \(depth))")
        #expect(try pillowPixels(path, mode: "RGB") == expected, "Pillow reads back other pixels (\(scene), depth \(depth))")
    }

    /// RGBA with translucent colours keeps them in a palette's tRNS, with indices as narrow as the colours allow
    /// (rows 61 pixels wide, so packed rows end mid-byte); one colour more than 256 is written as RGBA.
    @Test func translucentPalettesAndTheLimitOfOne256() throws {
        for (count, depth) in [(1, 1), (2, 1), (3, 2), (5, 4), (16, 4), (17, 8), (256, 8), (257, 8)] {
            var pixels = [UInt8]()
            for i in 0..<(61 * 64) {
                let c = (i / 3 + i % 61) % count
                pixels += [UInt8(c % 256), UInt8(c / 256), 7, c % 2 == 0 ? 255 : UInt8(c % 200)]
            }
            let path = NSTemporaryDirectory() + "png-\(UUID().uuidString).png"
            defer { try? FileManager.default.removeItem(atPath: path) }
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            try pixels.withUnsafeBytes {
                try ImageFileWriter.write($0, width: 61, height: 64, stride: 244, layout: .rgba, format: .png, to: fd)
            }
            close(fd)
            let file = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(file[25] == (count <= 256 ? 3 : 6), "\(count) colours")
            #expect(file[24] == depth, "\(count) colours take \(depth)-bit indices")
            #expect(try PNGCodec.decode(file, limits: ImageLimits()).pixels == pixels, "\(count) colours")
            #expect(try pillowPixels(path, mode: "RGBA") == pixels, "\(count) colours")
        }
    }
}
