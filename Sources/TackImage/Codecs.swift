import CJPEGShim
import CPNG
import TackCore

/// Bounds on decoding, checked against the header before any pixel memory is allocated.
public struct ImageLimits: Sendable, Equatable {
    public var maxPixels = 100_000_000
    /// The most memory a thumbnail may hold for pixels beyond the codecs' own. Streaming keeps ordinary images far
    /// below it; only an interlaced PNG thumbnailed near its own size (whose rows are final only after the last
    /// Adam7 pass) can reach it, and is then refused with `image_too_large` instead of allocating more.
    public var maxWorkingBytes = 256 << 20

    public init(maxPixels: Int = 100_000_000, maxWorkingBytes: Int = 256 << 20) {
        self.maxPixels = maxPixels
        self.maxWorkingBytes = maxWorkingBytes
    }

    func check(width: Int, height: Int) throws(TackError) {
        guard width > 0, height > 0 else { throw .invalid(.corruptImage, "the image declares no pixels") }
        guard width.multipliedReportingOverflow(by: height).partialValue <= maxPixels, width <= 1 << 20, height <= 1 << 20 else {
            throw TackError(.tooManyPixels, "the image is \(width)x\(height) pixels; the limit is \(maxPixels) pixels")
        }
    }
}

/// PNG through libpng's simplified API: every colour type, bit depth, palette, tRNS and interlacing, as RGBA8.
public enum PNGCodec {
    public static func decode(_ data: [UInt8], limits: ImageLimits) throws(TackError) -> RGBAImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        // libpng keeps the input pointer from begin to finish: both happen inside one withUnsafeBytes.
        let decoded = data.withUnsafeBytes { input -> Result<(Int, Int, [UInt8]), TackError> in
            guard png_image_begin_read_from_memory(&image, input.baseAddress, input.count) != 0 else { return .failure(corrupt(&image)) }
            let width = Int(image.width), height = Int(image.height)
            do throws(TackError) { try limits.check(width: width, height: height) } catch { return .failure(error) }
            image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
            var pixels = [UInt8](repeating: 0, count: width * height * 4)
            let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * 4), nil) }
            return finished != 0 ? .success((width, height, pixels)) : .failure(corrupt(&image))
        }
        let (width, height, pixels) = try decoded.get()
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// RGBA PNG (or RGB when opaque), metadata-free.
    public static func encode(_ rgba: RGBAImage) throws(TackError) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(rgba.width)
        image.height = UInt32(rgba.height)
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        var size = 0
        let sized = rgba.pixels.withUnsafeBytes {
            png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, Int32(rgba.width * 4), nil)
        }
        guard sized != 0, size > 0 else { throw encodeFailure(&image) }
        var out = [UInt8](repeating: 0, count: size)
        let written = rgba.pixels.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, source.baseAddress, Int32(rgba.width * 4), nil) }
        }
        guard written != 0 else { throw encodeFailure(&image) }
        return Array(out.prefix(size))
    }

    private static func corrupt(_ image: inout png_image) -> TackError {
        .invalid(.corruptImage, "the PNG cannot be decoded: \(message(&image))")
    }

    private static func encodeFailure(_ image: inout png_image) -> TackError {
        TackError(.encodeFailed, "PNG encoding failed: \(message(&image))")
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

/// JPEG through libjpeg-turbo, with DCT scaling (1/2, 1/4, 1/8) so huge photos shrink while they decode.
public enum JPEGCodec {
    /// Stored size, before orientation.
    public static func size(of data: [UInt8]) throws(TackError) -> (width: Int, height: Int) {
        let probe = try probe(data, denominator: 1)
        return (probe.width, probe.height)
    }

    /// Decodes at the largest DCT scale that still leaves at least `minimum` pixels each way (nil: full size).
    public static func decode(_ data: [UInt8], limits: ImageLimits,
                              minimum: (width: Int, height: Int)? = nil) throws(TackError) -> RGBAImage {
        try decode(data, limits: limits) { width, height, _ in
            guard let minimum else { return false }
            return width >= minimum.width && height >= minimum.height
        }
    }

    /// Decodes at the largest DCT scale (1/8, 1/4, 1/2) that `acceptable(width, height, denominator)` allows.
    public static func decode(_ data: [UInt8], limits: ImageLimits,
                              acceptable: (Int, Int, Int) -> Bool) throws(TackError) -> RGBAImage {
        let full = try probe(data, denominator: 1)
        try limits.check(width: full.width, height: full.height)
        // libjpeg-turbo's 1/d output size is the stored size divided by d, rounded up (jpeg_core_output_dimensions):
        // one header read serves every candidate, and the decoder checks the buffer against its own answer.
        func scaled(_ d: Int) -> (width: Int, height: Int) { ((full.width + d - 1) / d, (full.height + d - 1) / d) }
        let denominator = [8, 4, 2].first { acceptable(scaled($0).width, scaled($0).height, $0) } ?? 1
        var pixels = [UInt8](repeating: 0, count: scaled(denominator).width * scaled(denominator).height * 4)
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { output in
                tack_jpeg_decode(input.baseAddress, input.count, Int32(denominator), output.baseAddress, output.count,
                                 &width, &height, &message, message.count)
            }
        }
        guard status == 0 else { throw .invalid(.corruptImage, "the JPEG cannot be decoded: \(text(message))") }
        return RGBAImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    public static func encode(_ image: RGBAImage, quality: Int) throws(TackError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer {
            tack_jpeg_encode($0.baseAddress, Int32(image.width), Int32(image.height), Int32(max(1, min(100, quality))),
                             &output, &size, &message, message.count)
        }
        defer { tack_jpeg_free(output) }
        guard status == 0, let output else {
            throw TackError(.encodeFailed, "JPEG encoding failed: \(text(message))")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    struct Probe {
        var width: Int, height: Int, scaledWidth: Int, scaledHeight: Int
    }

    static func probe(_ data: [UInt8], denominator: Int) throws(TackError) -> Probe {
        var w: Int32 = 0, h: Int32 = 0, sw: Int32 = 0, sh: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBufferPointer {
            tack_jpeg_probe($0.baseAddress, $0.count, Int32(denominator), &w, &h, &sw, &sh, &message, message.count)
        }
        guard status == 0 else { throw .invalid(.corruptImage, "the JPEG cannot be read: \(text(message))") }
        return Probe(width: Int(w), height: Int(h), scaledWidth: Int(sw), scaledHeight: Int(sh))
    }

    static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
