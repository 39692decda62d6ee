import Foundation
import TackCore
import TackTestSupport
import Testing
@testable import TackImage

@Suite(.ownThread) struct ReferenceQualityTests {
    /// The resize itself (shrink-on-load, box shrink, Lanczos) against Pillow's LANCZOS of the full image.
    @Test(arguments: [320, 800])
    func photosMatchPillowLanczos(size: Int) throws {
        let photos = RealPhotos.all
        try #require(photos.count >= 6, "install mate-backgrounds (scripts/setup does)")
        for photo in photos {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: photo)))
            let (ours, _) = try Thumbnailer().pixels(of: bytes, size: size, method: .scale)
            let reference = try Pillow.lanczos(photo, width: ours.width, height: ours.height)
            let quality = psnr(ours, reference)
            #expect(quality >= 35, "\(photo) at \(size): \(String(format: "%.1f", quality)) dB against Pillow LANCZOS")
        }
    }

    /// The served JPEG loses no more than JPEG encoding of the reference itself does at the same quality
    /// (fine grass at q85 costs any encoder about 29 dB, so an absolute figure would test libjpeg, not us).
    @Test func encodedThumbnailsLoseOnlyWhatJPEGLoses() throws {
        let photos = RealPhotos.all.prefix(6)
        try #require(photos.count == 6, "install mate-backgrounds (scripts/setup does)")
        for photo in photos {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: photo)))
            let thumbnailer = Thumbnailer()
            let thumbnail = try thumbnailer.thumbnail(of: bytes, size: 320, method: .scale)
            let served = try JPEGCodec.decode(thumbnail.bytes, limits: ImageLimits())
            let reference = try Pillow.lanczos(photo, width: served.width, height: served.height)
            let floor = try Pillow.encodingLoss(reference, quality: thumbnailer.jpegQuality)
            #expect(psnr(served, reference) >= floor - 1, "\(photo): \(psnr(served, reference)) dB, JPEG alone \(floor) dB")
        }
    }

    /// A big progressive JPEG thumbnailed small reads only its DC scan: the same file cut off right after that
    /// scan gives the very same thumbnail, and the thumbnail still matches Pillow's LANCZOS of the whole file.
    @Test func largeProgressiveJPEGsStopAfterTheirDCScan() throws {
        let path = NSTemporaryDirectory() + "progressive-\(UUID().uuidString).jpg"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Pillow.progressiveJPEG("\(RealPhotos.folder)/Dune.jpg", width: 5120, height: 3200, to: path)
        let whole = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // Start-of-scan markers: the first scan carries the DC coefficients of every component.
        let scans = (0..<(whole.count - 1)).filter { whole[$0] == 0xFF && whole[$0 + 1] == 0xDA }
        try #require(scans.count >= 5)
        let dcOnly = Array(whole[..<scans[1]]) + [0xFF, 0xD9]
        #expect(dcOnly.count * 4 < whole.count)

        let thumbnailer = Thumbnailer()
        let (full, _) = try thumbnailer.pixels(of: whole, size: 320, method: .scale)
        let (cut, _) = try thumbnailer.pixels(of: dcOnly, size: 320, method: .scale)
        #expect(full == cut)
        let reference = try Pillow.lanczos(path, width: full.width, height: full.height)
        #expect(psnr(full, reference) >= 35, "\(psnr(full, reference)) dB")
        // At 800 px the AC coefficients matter, so the whole file is read: the cut file differs.
        let (fullLarge, _) = try thumbnailer.pixels(of: whole, size: 800, method: .scale)
        let (cutLarge, _) = try thumbnailer.pixels(of: dcOnly, size: 800, method: .scale)
        #expect(fullLarge != cutLarge)
    }

    @Test func cmykJPEGsDecodeToTheirColours() throws {
        let source = "\(RealPhotos.folder)/Dune.jpg"
        let cmyk = NSTemporaryDirectory() + "cmyk-\(UUID().uuidString).jpg"
        defer { try? FileManager.default.removeItem(atPath: cmyk) }
        try Pillow.cmykJPEG(source, to: cmyk)
        let original = try JPEGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: source))), limits: ImageLimits())
        let decoded = try JPEGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: cmyk))), limits: ImageLimits())
        #expect(decoded.width == original.width && decoded.height == original.height)
        #expect(psnr(decoded, original) > 30)
        // And through the thumbnailer, shrunk while decoding.
        let (thumbnail, _) = try Thumbnailer().pixels(of: Array(try Data(contentsOf: URL(fileURLWithPath: cmyk))), size: 320, method: .scale)
        let reference = try Pillow.lanczos(source, width: thumbnail.width, height: thumbnail.height)
        #expect(psnr(thumbnail, reference) > 35)
    }
}
