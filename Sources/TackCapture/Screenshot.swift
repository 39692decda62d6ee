/// A captured picture: BGRX pixels (blue, green, red, one unused byte), rows top to bottom, `width * 4` bytes each.
///
/// BGRX is what X servers hand out on little-endian machines, so the common case is a row copy, and both
/// libpng and libjpeg-turbo read it directly.
public struct Screenshot: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 4, "BGRX buffer size does not match \(width)x\(height)")
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// Red, green and blue at (x, y).
    public func rgb(_ x: Int, _ y: Int) -> RGB {
        let i = (y * width + x) * 4
        return RGB(pixels[i + 2], pixels[i + 1], pixels[i])
    }

    public func cropped(to rect: Rect) -> Screenshot {
        let area = rect.intersection(Rect(x: 0, y: 0, width: width, height: height))
        var out = [UInt8](repeating: 0, count: max(0, area.width * area.height * 4))
        pixels.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                for row in 0..<area.height {
                    let from = ((area.y + row) * width + area.x) * 4
                    target.baseAddress!.advanced(by: row * area.width * 4)
                        .copyMemory(from: source.baseAddress!.advanced(by: from), byteCount: area.width * 4)
                }
            }
        }
        return Screenshot(width: area.width, height: area.height, pixels: out)
    }

    /// Paints the rectangles black (used for areas no monitor shows).
    public mutating func blackOut(_ rects: [Rect]) {
        let bounds = Rect(x: 0, y: 0, width: width, height: height)
        for rect in rects.map({ $0.intersection(bounds) }) where !rect.isEmpty {
            for row in rect.y..<rect.maxY {
                let start = (row * width + rect.x) * 4
                pixels.replaceSubrange(start..<(start + rect.width * 4), with: repeatElement(0, count: rect.width * 4))
            }
        }
    }
}

/// An 8-bit colour, for tests and for people reading pixels.
public struct RGB: Sendable, Equatable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    public var description: String { "rgb(\(r),\(g),\(b))" }
}

/// How an X image packs its pixels: the server's choice, described by the visual and the image header.
public struct XPixelFormat: Sendable, Equatable {
    public var bitsPerPixel: Int
    public var bytesPerLine: Int
    /// LSBFirst: the least significant byte of a pixel comes first in memory.
    public var leastSignificantByteFirst: Bool
    public var redMask: UInt32, greenMask: UInt32, blueMask: UInt32

    public init(bitsPerPixel: Int, bytesPerLine: Int, leastSignificantByteFirst: Bool,
                redMask: UInt32, greenMask: UInt32, blueMask: UInt32) {
        self.bitsPerPixel = bitsPerPixel; self.bytesPerLine = bytesPerLine
        self.leastSignificantByteFirst = leastSignificantByteFirst
        self.redMask = redMask; self.greenMask = greenMask; self.blueMask = blueMask
    }

    /// 32 bits, 8 per channel, in BGRX byte order: the pixels can be copied as they are.
    var isNativeBGRX: Bool {
        bitsPerPixel == 32 && leastSignificantByteFirst && redMask == 0xFF0000 && greenMask == 0xFF00 && blueMask == 0xFF
    }
}

/// Turns any TrueColor X image (8, 16, 24 or 32 bits per pixel, either byte order, any channel masks, 10-bit
/// channels included) into BGRX.
public enum PixelConverter {
    public static func bgrx(from source: UnsafeRawBufferPointer, width: Int, height: Int,
                            format: XPixelFormat) -> Screenshot {
        var out = [UInt8](repeating: 0, count: width * height * 4)
        out.withUnsafeMutableBytes { target in
            if format.isNativeBGRX {
                for row in 0..<height {
                    target.baseAddress!.advanced(by: row * width * 4)
                        .copyMemory(from: source.baseAddress!.advanced(by: row * format.bytesPerLine), byteCount: width * 4)
                }
                return
            }
            let red = Channel(mask: format.redMask), green = Channel(mask: format.greenMask), blue = Channel(mask: format.blueMask)
            let bytes = format.bitsPerPixel / 8
            for row in 0..<height {
                let line = source.baseAddress!.advanced(by: row * format.bytesPerLine).assumingMemoryBound(to: UInt8.self)
                let outLine = target.baseAddress!.advanced(by: row * width * 4).assumingMemoryBound(to: UInt8.self)
                for x in 0..<width {
                    var value: UInt32 = 0
                    let p = line + x * bytes
                    if format.leastSignificantByteFirst {
                        for i in stride(from: bytes - 1, through: 0, by: -1) { value = value << 8 | UInt32(p[i]) }
                    } else {
                        for i in 0..<bytes { value = value << 8 | UInt32(p[i]) }
                    }
                    outLine[x * 4] = blue.extract(value)
                    outLine[x * 4 + 1] = green.extract(value)
                    outLine[x * 4 + 2] = red.extract(value)
                    outLine[x * 4 + 3] = 255
                }
            }
        }
        return Screenshot(width: width, height: height, pixels: out)
    }

    private struct Channel {
        let mask: UInt32, shift: UInt32, maximum: UInt32

        init(mask: UInt32) {
            self.mask = mask
            shift = mask == 0 ? 0 : UInt32(mask.trailingZeroBitCount)
            maximum = mask == 0 ? 1 : mask >> shift
        }

        func extract(_ pixel: UInt32) -> UInt8 {
            let raw = (pixel & mask) >> shift
            return UInt8((raw * 255 + maximum / 2) / maximum)
        }
    }
}

/// The pointer's image, as XFixes reports it: premultiplied ARGB, with its hotspot at the pointer position.
public struct CursorImage: Sendable, Equatable {
    public var width: Int, height: Int
    public var hotspot: Point
    /// Where the pointer is, in root coordinates.
    public var position: Point
    public var argb: [UInt32]

    public init(width: Int, height: Int, hotspot: Point, position: Point, argb: [UInt32]) {
        self.width = width; self.height = height; self.hotspot = hotspot; self.position = position; self.argb = argb
    }

    /// Draws the cursor over a capture of `area` (root coordinates), clipped to it.
    public func composite(onto shot: inout Screenshot, capturedArea area: Rect) {
        let left = position.x - hotspot.x - area.x, top = position.y - hotspot.y - area.y
        for cy in 0..<height {
            let y = top + cy
            guard y >= 0, y < shot.height else { continue }
            for cx in 0..<width {
                let x = left + cx
                guard x >= 0, x < shot.width else { continue }
                let pixel = argb[cy * width + cx]
                let alpha = pixel >> 24
                guard alpha > 0 else { continue }
                let i = (y * shot.width + x) * 4
                let inverse = 255 - alpha
                for (channel, offset) in [(pixel & 0xFF, 0), ((pixel >> 8) & 0xFF, 1), ((pixel >> 16) & 0xFF, 2)] {
                    let under = UInt32(shot.pixels[i + offset])
                    shot.pixels[i + offset] = UInt8(min(255, channel + (under * inverse + 127) / 255))
                }
            }
        }
    }
}
