import Foundation

/// The memory a screenshot's pixels live in: malloc'd, or the shared-memory segment the X server wrote them into,
/// so a capture is never copied on its way to the encoder. Freed once, when the last screenshot using it goes.
final class PixelMemory: @unchecked Sendable {
    // @unchecked: the bytes are written only through Screenshot's mutating methods, which copy first unless this
    // memory is uniquely referenced, so memory reachable from two places is never written.
    let base: UnsafeMutableRawPointer
    let count: Int
    private let release: @Sendable (UnsafeMutableRawPointer) -> Void

    init(count: Int) {
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        self.count = count
        release = { $0.deallocate() }
    }

    init(adopting base: UnsafeMutableRawPointer, count: Int, release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void) {
        self.base = base; self.count = count; self.release = release
    }

    deinit { release(base) }
}

/// A captured picture: BGRX pixels (blue, green, red, one unused byte), rows top to bottom, `bytesPerRow` apart.
///
/// BGRX is what X servers hand out on little-endian machines, so the common case needs no conversion at all, and
/// both libpng and libjpeg-turbo read it directly.
public struct Screenshot: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Bytes from one row to the next: at least `width * 4` (X may pad rows).
    public let bytesPerRow: Int
    private var memory: PixelMemory

    init(width: Int, height: Int, bytesPerRow: Int, memory: PixelMemory) {
        precondition(bytesPerRow >= width * 4 && memory.count >= bytesPerRow * height, "pixel memory too small")
        self.width = width; self.height = height; self.bytesPerRow = bytesPerRow; self.memory = memory
    }

    /// Tightly packed BGRX bytes, copied.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 4, "BGRX buffer size does not match \(width)x\(height)")
        let memory = PixelMemory(count: pixels.count)
        pixels.withUnsafeBytes { memory.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.init(width: width, height: height, bytesPerRow: width * 4, memory: memory)
    }

    /// The pixels tightly packed (a copy; encoders read `withUnsafeBytes` instead).
    public var pixels: [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 4)
        out.withUnsafeMutableBytes { target in
            for row in 0..<height {
                target.baseAddress!.advanced(by: row * width * 4)
                    .copyMemory(from: memory.base.advanced(by: row * bytesPerRow), byteCount: width * 4)
            }
        }
        return out
    }

    /// All rows, `bytesPerRow` apart.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: memory.base, count: bytesPerRow * height))
    }

    private mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&memory) {
            let copy = PixelMemory(count: bytesPerRow * height)
            copy.base.copyMemory(from: memory.base, byteCount: bytesPerRow * height)
            memory = copy
        }
        return try body(memory.base)
    }

    /// Red, green and blue at (x, y).
    public func rgb(_ x: Int, _ y: Int) -> RGB {
        let p = memory.base.advanced(by: y * bytesPerRow + x * 4).assumingMemoryBound(to: UInt8.self)
        return RGB(p[2], p[1], p[0])
    }

    public func cropped(to rect: Rect) -> Screenshot {
        let area = rect.intersection(Rect(x: 0, y: 0, width: width, height: height))
        let out = PixelMemory(count: area.width * area.height * 4)
        for row in 0..<area.height {
            out.base.advanced(by: row * area.width * 4)
                .copyMemory(from: memory.base.advanced(by: (area.y + row) * bytesPerRow + area.x * 4), byteCount: area.width * 4)
        }
        return Screenshot(width: area.width, height: area.height, bytesPerRow: area.width * 4, memory: out)
    }

    /// Paints the rectangles black (used for areas no monitor shows).
    public mutating func blackOut(_ rects: [Rect]) {
        let bounds = Rect(x: 0, y: 0, width: width, height: height)
        let visible = rects.map { $0.intersection(bounds) }.filter { !$0.isEmpty }
        guard !visible.isEmpty else { return }
        let stride = bytesPerRow
        withUnsafeMutableBytes { base in
            for rect in visible {
                for row in rect.y..<rect.maxY {
                    base.advanced(by: row * stride + rect.x * 4).initializeMemory(as: UInt8.self, repeating: 0, count: rect.width * 4)
                }
            }
        }
    }

    /// Changes one pixel's colour channels; for compositing.
    mutating func blend(_ x: Int, _ y: Int, premultiplied pixel: UInt32) {
        let alpha = pixel >> 24
        guard alpha > 0 else { return }
        let stride = bytesPerRow
        withUnsafeMutableBytes { base in
            let p = base.advanced(by: y * stride + x * 4).assumingMemoryBound(to: UInt8.self)
            let inverse = 255 - alpha
            for (offset, channel) in [(0, pixel & 0xFF), (1, (pixel >> 8) & 0xFF), (2, (pixel >> 16) & 0xFF)] {
                p[offset] = UInt8(min(255, channel + (UInt32(p[offset]) * inverse + 127) / 255))
            }
        }
    }

    public static func == (a: Screenshot, b: Screenshot) -> Bool {
        a.width == b.width && a.height == b.height && a.pixels == b.pixels
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
        let memory = PixelMemory(count: width * height * 4)
        let target = memory.base
        if format.isNativeBGRX {
            for row in 0..<height {
                target.advanced(by: row * width * 4)
                    .copyMemory(from: source.baseAddress!.advanced(by: row * format.bytesPerLine), byteCount: width * 4)
            }
            return Screenshot(width: width, height: height, bytesPerRow: width * 4, memory: memory)
        }
        let red = Channel(mask: format.redMask), green = Channel(mask: format.greenMask), blue = Channel(mask: format.blueMask)
        let bytes = format.bitsPerPixel / 8
        for row in 0..<height {
            let line = source.baseAddress!.advanced(by: row * format.bytesPerLine).assumingMemoryBound(to: UInt8.self)
            let outLine = target.advanced(by: row * width * 4).assumingMemoryBound(to: UInt8.self)
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
        return Screenshot(width: width, height: height, bytesPerRow: width * 4, memory: memory)
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
        for cy in 0..<height where top + cy >= 0 && top + cy < shot.height {
            for cx in 0..<width where left + cx >= 0 && left + cx < shot.width {
                shot.blend(left + cx, top + cy, premultiplied: argb[cy * width + cx])
            }
        }
    }
}
