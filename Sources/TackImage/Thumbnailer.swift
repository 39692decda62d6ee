import TackCore

/// How a thumbnail fits its box.
public enum ThumbnailMethod: String, Sendable, CaseIterable {
    /// Fit inside the box, keeping the aspect ratio; never enlarge.
    case scale
    /// Fill the box and cut the overflow, centred.
    case crop
}

/// A finished thumbnail: JPEG for opaque images, PNG when there is transparency to keep. No metadata.
public struct Thumbnail: Sendable {
    public var bytes: [UInt8]
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The upright size of the image it was made from.
    public var sourceWidth: Int
    public var sourceHeight: Int
}

/// Bytes of an image in, a thumbnail out: decode (shrinking JPEGs while decoding), orient, resize, encode.
public struct Thumbnailer: Sendable {
    public var limits: ImageLimits
    public var jpegQuality: Int

    public init(limits: ImageLimits = ImageLimits(), jpegQuality: Int = 85) {
        self.limits = limits
        self.jpegQuality = jpegQuality
    }

    public func thumbnail(of data: [UInt8], size: Int, method: ThumbnailMethod) throws(TackError) -> Thumbnail {
        let (resized, sourceSize) = try pixels(of: data, size: size, method: method)
        let transparent = resized.hasTransparency
        return Thumbnail(
            bytes: transparent ? try PNGCodec.encode(resized) : try JPEGCodec.encode(resized, quality: jpegQuality),
            format: transparent ? .png : .jpeg, width: resized.width, height: resized.height,
            sourceWidth: sourceSize.width, sourceHeight: sourceSize.height)
    }

    /// The thumbnail's pixels before encoding, and the image's own upright size.
    public func pixels(of data: [UInt8], size: Int, method: ThumbnailMethod) throws(TackError) -> (RGBAImage, (width: Int, height: Int)) {
        guard size > 0, size <= 4096 else { throw .invalid("invalid_size", "a thumbnail is 1 to 4096 pixels") }
        let upright: RGBAImage
        // A JPEG may be shrunk while decoding: the size reported is the image's own, upright.
        let sourceSize: (width: Int, height: Int)
        switch ImageFormat.detect(data) {
        case .png:
            upright = try PNGCodec.decode(data, limits: limits)
            sourceSize = (upright.width, upright.height)
        case .jpeg:
            let orientation = ExifOrientation.read(jpeg: data)
            let stored = try JPEGCodec.size(of: data)
            let (w, h) = orientation >= 5 ? (stored.height, stored.width) : (stored.width, stored.height)
            sourceSize = (w, h)
            let box = Self.box(width: w, height: h, size: size, method: method)
            // Shrink while decoding. libjpeg's 1/2 scale drops the high frequencies, a clean low-pass, so it may go
            // down to the target itself; 1/4 and 1/8 are close to block averages, so they stop at twice the target
            // and leave the last halving to Lanczos, which keeps fine texture (grass, hair) as a good resize shows it.
            let target = orientation >= 5 ? (box.height, box.width) : (box.width, box.height)
            let decoded = try JPEGCodec.decode(data, limits: limits) { width, height, denominator in
                let margin = denominator == 2 ? 1 : 2
                return width >= margin * target.0 && height >= margin * target.1
            }
            upright = ExifOrientation.apply(orientation, to: decoded)
        case nil:
            throw TackError(.unsupportedMediaType, code: "unsupported_image", "only PNG and JPEG images are thumbnailed")
        }
        let box = Self.box(width: upright.width, height: upright.height, size: size, method: method)
        var resized = Resampler.resize(upright, width: box.width, height: box.height)
        if method == .crop { resized = Self.centreCrop(resized, width: min(size, resized.width), height: min(size, resized.height)) }
        return (resized, sourceSize)
    }

    /// The size to resample to: inside the box for `scale`, covering it for `crop`; never larger than the image.
    static func box(width: Int, height: Int, size: Int, method: ThumbnailMethod) -> (width: Int, height: Int) {
        let fit = Double(size) / Double(max(width, height))
        let fill = Double(size) / Double(min(width, height))
        let factor = min(1, method == .scale ? fit : fill)
        return (max(1, Int((Double(width) * factor).rounded())), max(1, Int((Double(height) * factor).rounded())))
    }

    static func centreCrop(_ image: RGBAImage, width: Int, height: Int) -> RGBAImage {
        guard width < image.width || height < image.height else { return image }
        let left = (image.width - width) / 2, top = (image.height - height) / 2
        var out = [UInt8]()
        out.reserveCapacity(width * height * 4)
        for y in top..<(top + height) {
            let start = (y * image.width + left) * 4
            out += image.pixels[start..<(start + width * 4)]
        }
        return RGBAImage(width: width, height: height, pixels: out)
    }
}
