import Foundation
import TackCore

/// A finished thumbnail: JPEG for opaque images, PNG when there is transparency to keep. No metadata.
public struct Thumbnail: Sendable {
    public var bytes: [UInt8]
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The upright size of the image it was made from.
    public var sourceWidth: Int
    public var sourceHeight: Int

    public init(bytes: [UInt8], format: ImageFormat, width: Int, height: Int, sourceWidth: Int, sourceHeight: Int) {
        self.bytes = bytes
        self.format = format
        self.width = width
        self.height = height
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
    }
}

/// An image in, a thumbnail out, in memory that follows the output rather than the source: rows are decoded one
/// at a time (JPEGs shrunk by DCT scaling first), cut to the part the thumbnail shows, box-shrunk and resampled as
/// they arrive (`StreamingResizer`); the small result is oriented and encoded. A 311526 x 321 PNG costs a few
/// rows of it, not the 400 MB the whole would.
public struct Thumbnailer: Sendable {
    public var limits: ImageLimits
    public var jpegQuality: Int

    public init(limits: ImageLimits = ImageLimits(), jpegQuality: Int = 85) {
        self.limits = limits
        self.jpegQuality = jpegQuality
    }

    public func thumbnail(of data: [UInt8], size: Int, method: ThumbnailMethod) throws(TackError) -> Thumbnail {
        try encode(try render(data, size: size, method: method))
    }

    /// The same from a file, read as it decodes: the file is never held in memory.
    ///
    /// Throws `unreadable_input` (invalid input) when the file cannot be opened, and otherwise what
    /// `thumbnail(of:size:method:)` throws.
    public func thumbnail(ofFileAt path: String, size: Int, method: ThumbnailMethod) throws(TackError) -> Thumbnail {
        try encode(try render(fileAt: path, size: size, method: method))
    }

    /// A thumbnail of a binary PPM (P6), as tackd's preview worker writes a PDF's page or a video's frame.
    public func thumbnail(ofPixmapAt path: String, size: Int, method: ThumbnailMethod) throws(TackError) -> Thumbnail {
        guard size > 0, size <= 4096 else { throw .invalid(.invalidSize, "a thumbnail is 1 to 4096 pixels") }
        guard let file = fopen(path, "rb") else { throw .invalid(.unreadableInput, "cannot read \(path)") }
        defer { fclose(file) }
        let reader = try PixmapRowReader(file)
        try limits.check(width: reader.width, height: reader.height)
        let plan = Self.plan(decodedWidth: reader.width, decodedHeight: reader.height, fullWidth: reader.width,
                             fullHeight: reader.height, size: size, method: method, transposed: false)
        let row = UnsafeMutablePointer<UInt8>.allocate(capacity: reader.width * 4)
        defer { row.deallocate() }
        if plan.cropWidth == plan.outputWidth, plan.cropHeight == plan.outputHeight {
            // Already the thumbnail's size (tackd preview draws pages and frames at it for `scale`): the rows are the
            // thumbnail, and resampling them to themselves would only cost time.
            var pixels = [UInt8](repeating: 0, count: plan.outputWidth * plan.outputHeight * 4)
            for y in 0..<(plan.cropY + plan.cropHeight) {
                try reader.next(into: row)
                guard y >= plan.cropY else { continue }
                let start = (y - plan.cropY) * plan.outputWidth * 4
                pixels.withUnsafeMutableBufferPointer { out in
                    (out.baseAddress! + start).update(from: row + plan.cropX * 4, count: plan.outputWidth * 4)
                }
            }
            return try encode(Rendered(image: RGBAImage(width: plan.outputWidth, height: plan.outputHeight, pixels: pixels),
                                       sourceSize: (reader.width, reader.height), opaque: true,
                                       workingBytes: pixels.count + reader.width * 4))
        }
        let resizer = StreamingResizer(plan: plan, opaque: true)
        for y in 0..<reader.height where !resizer.isComplete {
            try reader.next(into: row)
            resizer.push(row: y, row)
        }
        return try encode(Rendered(image: resizer.image(), sourceSize: (reader.width, reader.height), opaque: true,
                                   workingBytes: resizer.workingBytes + reader.width * 7))
    }

    /// How much the PNG or JPEG at `path` looks like text (`TextLikeness`), measured on a copy at most `size` pixels
    /// on its longer side (never enlarged): whether tackd reads it by OCR though it was not sent as a screenshot.
    public func textLikeness(ofFileAt path: String, size: Int = 1600) throws(TackError) -> TextLikeness {
        TextLikeness(try render(fileAt: path, size: size, method: .scale).image)
    }

    /// The thumbnail's pixels before encoding, and the image's own upright size.
    public func pixels(of data: [UInt8], size: Int, method: ThumbnailMethod) throws(TackError) -> (RGBAImage, (width: Int, height: Int)) {
        let rendered = try render(data, size: size, method: method)
        return (rendered.image, rendered.sourceSize)
    }

    /// A thumbnail's pixels and what making them cost.
    struct Rendered {
        var image: RGBAImage
        /// The image's own upright size.
        var sourceSize: (width: Int, height: Int)
        /// True when the source has no alpha channel (then the output has none either).
        var opaque: Bool
        /// The most bytes this code held at once for pixels (rows, sums, output), codecs' own state aside.
        var workingBytes: Int
    }

    func render(_ data: [UInt8], size: Int, method: ThumbnailMethod) throws(TackError) -> Rendered {
        let format = ImageFormat.detect(data)
        let result = data.withUnsafeBufferPointer { bytes -> Result<Rendered, TackError> in
            do throws(TackError) {
                return .success(try render(.memory(bytes), format: format, size: size, method: method))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    func render(fileAt path: String, size: Int, method: ThumbnailMethod) throws(TackError) -> Rendered {
        guard let file = fopen(path, "rb") else { throw .invalid(.unreadableInput, "cannot read \(path)") }
        defer { fclose(file) }
        var head = [UInt8](repeating: 0, count: 8)
        let count = fread(&head, 1, 8, file)
        rewind(file)
        return try render(.file(file), format: ImageFormat.detect(head.prefix(count)), size: size, method: method)
    }

    func render(_ source: ImageSource, format: ImageFormat?, size: Int, method: ThumbnailMethod) throws(TackError) -> Rendered {
        guard size > 0, size <= 4096 else { throw .invalid(.invalidSize, "a thumbnail is 1 to 4096 pixels") }
        switch format {
        case .png: return try renderPNG(source, size: size, method: method)
        case .jpeg: return try renderJPEG(source, size: size, method: method)
        case nil: throw TackError(.unsupportedImage, "only PNG and JPEG images are thumbnailed")
        }
    }

    private func renderPNG(_ source: ImageSource, size: Int, method: ThumbnailMethod) throws(TackError) -> Rendered {
        let reader = try PNGRowReader(source)
        let (width, height) = (reader.width, reader.height)
        try limits.check(width: width, height: height)
        let plan = Self.plan(decodedWidth: width, decodedHeight: height, fullWidth: width, fullHeight: height,
                             size: size, method: method, transposed: false)
        let resizer = StreamingResizer(plan: plan, opaque: !reader.hasAlpha)
        let row = UnsafeMutablePointer<UInt8>.allocate(capacity: width * 4)
        defer { row.deallocate() }
        var working = resizer.workingBytes + width * 4
        if !reader.interlaced {
            // Rows above the rectangle must be decoded (PNG rows depend on the ones before); rows below it are not.
            for y in 0..<height where !resizer.isComplete {
                _ = try reader.next(into: row)
                resizer.push(row: y, row)
            }
        } else {
            let gridBytes = InterlacedAccumulator.gridBytes(plan)
            guard gridBytes + working <= limits.maxWorkingBytes else {
                throw TackError(.imageTooLarge, "the interlaced \(width)x\(height) PNG needs " +
                                "\((gridBytes + working) >> 20) MiB to thumbnail at \(size) px; the limit is \(limits.maxWorkingBytes >> 20) MiB")
            }
            let grid = InterlacedAccumulator(plan: plan, opaque: !reader.hasAlpha)
            working += grid.workingBytes
            for _ in 0..<reader.rowCount {
                let (pass, number) = try reader.next(into: row)
                grid.add(pass: pass, row: number, count: reader.columns(inPass: pass), row)
            }
            grid.drain(into: resizer)
        }
        return Rendered(image: resizer.image(), sourceSize: (width, height), opaque: !reader.hasAlpha, workingBytes: working)
    }

    private func renderJPEG(_ source: ImageSource, size: Int, method: ThumbnailMethod) throws(TackError) -> Rendered {
        let orientation: Int = switch source {
        case .memory(let bytes): ExifOrientation.read(jpeg: bytes)
        case .file(let file): ExifOrientation.read(jpeg: file)
        }
        let reader = try JPEGRowReader(source)
        try limits.check(width: reader.width, height: reader.height)
        let transposed = orientation >= 5
        let upright = transposed ? (reader.height, reader.width) : (reader.width, reader.height)
        // Shrink while decoding. libjpeg's 1/2 scale drops the high frequencies, a clean low-pass, so it may go
        // down to the target itself; 1/4 and 1/8 are close to block averages, so they stop at twice the target and
        // leave the last halving to Lanczos, which keeps fine texture (grass, hair) as a good resize shows it.
        // Except 1/8 of a progressive file: there it is the target itself that is enough (as libvips decides for
        // every file), because only the DC scans are then read, five times faster than the whole file.
        let box = Self.box(width: upright.0, height: upright.1, size: size, method: method)
        let target = transposed ? (box.height, box.width) : (box.width, box.height)
        func scaled(_ d: Int) -> (Int, Int) { ((reader.width + d - 1) / d, (reader.height + d - 1) / d) }
        let denominator = [8, 4, 2].first { d in
            let margin = d == 2 || (d == 8 && reader.progressive) ? 1 : 2
            return scaled(d).0 >= margin * target.0 && scaled(d).1 >= margin * target.1
        } ?? 1
        try reader.start(denominator: denominator)
        let plan = Self.plan(decodedWidth: reader.outputWidth, decodedHeight: reader.outputHeight,
                             fullWidth: reader.width, fullHeight: reader.height, size: size, method: method, transposed: transposed)
        let resizer = StreamingResizer(plan: plan, opaque: true)
        let batch = 16, stride = reader.outputWidth * 4
        let rows = UnsafeMutablePointer<UInt8>.allocate(capacity: batch * stride)
        defer { rows.deallocate() }
        while !resizer.isComplete && reader.rowsRead < reader.outputHeight {
            let first = reader.rowsRead
            let got = try reader.next(batch, into: rows)
            guard got > 0 else { break }
            for i in 0..<got { resizer.push(row: first + i, rows + i * stride) }
        }
        let oriented = ExifOrientation.apply(orientation, to: resizer.image())
        return Rendered(image: oriented, sourceSize: upright, opaque: true, workingBytes: resizer.workingBytes + batch * stride)
    }

    /// Where the output comes from in a decoded image of `decodedWidth` x `decodedHeight` (stored orientation),
    /// the image being `fullWidth` x `fullHeight` before DCT scaling and shown turned when `transposed`.
    static func plan(decodedWidth: Int, decodedHeight: Int, fullWidth: Int, fullHeight: Int, size: Int,
                     method: ThumbnailMethod, transposed: Bool) -> ResizePlan {
        let upright = transposed ? (fullHeight, fullWidth) : (fullWidth, fullHeight)
        let box = Self.box(width: upright.0, height: upright.1, size: size, method: method)
        let kept = method == .crop ? (min(size, box.width), min(size, box.height)) : (box.width, box.height)
        let storedBox = transposed ? (box.height, box.width) : (box.width, box.height)
        let storedKept = transposed ? (kept.1, kept.0) : kept
        // The box is the whole image at output scale, whatever scale it was decoded at.
        return ResizePlan(decodedWidth: decodedWidth, decodedHeight: decodedHeight, boxWidth: storedBox.0,
                          boxHeight: storedBox.1, outputWidth: storedKept.0, outputHeight: storedKept.1)
    }

    private func encode(_ rendered: Rendered) throws(TackError) -> Thumbnail {
        let image = rendered.image
        let transparent = !rendered.opaque && image.hasTransparency
        return Thumbnail(
            bytes: transparent ? try PNGCodec.encode(image) : try JPEGCodec.encode(image, quality: jpegQuality),
            format: transparent ? .png : .jpeg, width: image.width, height: image.height,
            sourceWidth: rendered.sourceSize.width, sourceHeight: rendered.sourceSize.height)
    }

    /// The size to resample to: inside the box for `scale`, covering it for `crop`; never larger than the image.
    static func box(width: Int, height: Int, size: Int, method: ThumbnailMethod) -> (width: Int, height: Int) {
        let fit = Double(size) / Double(max(width, height))
        let fill = Double(size) / Double(min(width, height))
        let factor = min(1, method == .scale ? fit : fill)
        return (max(1, Int((Double(width) * factor).rounded())), max(1, Int((Double(height) * factor).rounded())))
    }
}
