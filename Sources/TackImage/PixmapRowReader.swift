import Foundation
import TackCore

/// A binary PPM (P6, 8 bits a sample) read a row at a time from an open file: the pictures tackd's preview worker
/// has pdftoppm and ffmpeg write (raw pixels, so neither spends its time compressing a picture that is thrown away
/// once thumbnailed). Every number in the header is checked, and a file cut short is an error, never a short row.
final class PixmapRowReader {
    let width: Int, height: Int
    private let file: UnsafeMutablePointer<FILE>
    private let rgb: UnsafeMutablePointer<UInt8>

    init(_ file: UnsafeMutablePointer<FILE>) throws(TackError) {
        self.file = file
        guard getc(file) == 0x50, getc(file) == 0x36 else { throw Self.damaged("it does not start with P6") }
        width = try Self.number(file, "width")
        height = try Self.number(file, "height")
        guard try Self.number(file, "maximum sample") == 255 else { throw Self.damaged("its samples are not 8-bit") }
        // The header ends with exactly one whitespace byte, which `number` consumed; the pixels follow.
        guard width > 0, height > 0 else { throw Self.damaged("it is \(width)x\(height)") }
        rgb = .allocate(capacity: width * 3)
    }

    deinit { rgb.deallocate() }

    /// Reads the next row into `rgba` (room for `width` pixels), opaque.
    func next(into rgba: UnsafeMutablePointer<UInt8>) throws(TackError) {
        guard fread(rgb, 1, width * 3, file) == width * 3 else { throw Self.damaged("it ends inside its pixels") }
        for x in 0..<width {
            rgba[4 * x] = rgb[3 * x]
            rgba[4 * x + 1] = rgb[3 * x + 1]
            rgba[4 * x + 2] = rgb[3 * x + 2]
            rgba[4 * x + 3] = 255
        }
    }

    /// A decimal header field after whitespace and `#` comments, with the one whitespace byte that ends it; at most
    /// five digits (65,535 is the largest side a worker is asked for, and more than limits ever allow).
    private static func number(_ file: UnsafeMutablePointer<FILE>, _ name: String) throws(TackError) -> Int {
        var byte = getc(file)
        while byte == 0x23 || isWhitespace(byte) {
            if byte == 0x23 { while byte != 0x0A && byte != EOF { byte = getc(file) } }
            byte = getc(file)
        }
        var value = 0, digits = 0
        while byte >= 0x30 && byte <= 0x39 {
            digits += 1
            guard digits <= 5 else { throw damaged("its \(name) is too long") }
            value = value * 10 + Int(byte - 0x30)
            byte = getc(file)
        }
        guard digits > 0, isWhitespace(byte) else { throw damaged("its \(name) is not a number") }
        return value
    }

    private static func isWhitespace(_ byte: Int32) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    private static func damaged(_ why: String) -> TackError {
        .invalid(.corruptImage, "the preview picture cannot be read: \(why)")
    }
}
