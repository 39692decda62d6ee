import CJPEGShim
import CPNGShim
import Foundation
import TackCore

/// Where encoded bytes come from: memory the caller keeps alive, or an open file read as it is decoded.
enum ImageSource {
    case memory(UnsafeBufferPointer<UInt8>)
    case file(UnsafeMutablePointer<FILE>)
}

/// A PNG decoded a row at a time through libpng (see tack_png.h): 8-bit RGBA rows, or for an interlaced file the
/// rows of each Adam7 pass in turn.
final class PNGRowReader {
    private let reader: OpaquePointer
    let width: Int, height: Int, interlaced: Bool, hasAlpha: Bool

    init(_ source: ImageSource) throws(TackError) {
        let opened: OpaquePointer? = switch source {
        case .memory(let bytes): tack_png_reader_open_memory(bytes.baseAddress, bytes.count)
        case .file(let file): tack_png_reader_open_file(file)
        }
        guard let opened else { throw TackError(.internal, "cannot start a PNG decoder") }
        reader = opened
        var w: Int32 = 0, h: Int32 = 0, i: Int32 = 0, a: Int32 = 0
        guard tack_png_reader_header(reader, &w, &h, &i, &a) == 0 else {
            let error = Self.failure(reader)
            tack_png_reader_close(reader)
            throw error
        }
        (width, height, interlaced, hasAlpha) = (Int(w), Int(h), i != 0, a != 0)
    }

    deinit { tack_png_reader_close(reader) }

    /// Reads the next row into `rgba` (room for `width` pixels); returns its pass (0-6, 0 when not interlaced) and
    /// its row number within that pass.
    func next(into rgba: UnsafeMutablePointer<UInt8>) throws(TackError) -> (pass: Int, row: Int) {
        var pass: Int32 = 0, row: Int32 = 0
        guard tack_png_reader_row(reader, rgba, &pass, &row) == 0 else { throw Self.failure(reader) }
        return (Int(pass), Int(row))
    }

    /// Rows the decoder hands out in all: `height`, or the rows of every non-empty Adam7 pass.
    var rowCount: Int {
        guard interlaced else { return height }
        return InterlacedAccumulator.passes.reduce(0) { total, pass in
            let columns = (width - pass.x + pass.dx - 1) / pass.dx, rows = (height - pass.y + pass.dy - 1) / pass.dy
            return columns > 0 && rows > 0 ? total + rows : total
        }
    }

    /// Pixels in a row of `pass`.
    func columns(inPass pass: Int) -> Int {
        interlaced ? (width - InterlacedAccumulator.passes[pass].x + InterlacedAccumulator.passes[pass].dx - 1) / InterlacedAccumulator.passes[pass].dx : width
    }

    private static func failure(_ reader: OpaquePointer) -> TackError {
        .invalid(.corruptImage, "the PNG cannot be decoded: \(String(cString: tack_png_reader_message(reader)))")
    }
}

/// A JPEG decoded a few scanlines at a time through libjpeg-turbo (see tack_jpeg.h), optionally DCT-scaled.
final class JPEGRowReader {
    private let reader: OpaquePointer
    /// The stored size.
    let width: Int, height: Int
    /// The size rows come out at, once `start` chose a scale.
    private(set) var outputWidth = 0, outputHeight = 0
    private(set) var rowsRead = 0

    init(_ source: ImageSource) throws(TackError) {
        let opened: OpaquePointer? = switch source {
        case .memory(let bytes): tack_jpeg_reader_open_memory(bytes.baseAddress, bytes.count)
        case .file(let file): tack_jpeg_reader_open_file(file)
        }
        guard let opened else { throw TackError(.internal, "cannot start a JPEG decoder") }
        reader = opened
        var w: Int32 = 0, h: Int32 = 0
        guard tack_jpeg_reader_header(reader, &w, &h) == 0 else {
            let error = Self.failure(reader, "read")
            tack_jpeg_reader_close(reader)
            throw error
        }
        (width, height) = (Int(w), Int(h))
        progressive = tack_jpeg_reader_progressive(reader) != 0
    }

    deinit { tack_jpeg_reader_close(reader) }

    /// Several scans: at 1/8 only the first (DC) ones are read.
    let progressive: Bool

    /// Starts decoding at 1/`denominator` (1, 2, 4, 8).
    func start(denominator: Int) throws(TackError) {
        var w: Int32 = 0, h: Int32 = 0
        guard tack_jpeg_reader_start(reader, Int32(denominator), &w, &h) == 0 else { throw Self.failure(reader, "decoded") }
        (outputWidth, outputHeight) = (Int(w), Int(h))
    }

    /// Decodes up to `count` (at most 16) rows into `rgba`, `outputWidth` pixels each; returns how many.
    func next(_ count: Int, into rgba: UnsafeMutablePointer<UInt8>) throws(TackError) -> Int {
        var got: Int32 = 0
        guard tack_jpeg_reader_rows(reader, rgba, Int32(count), &got) == 0 else { throw Self.failure(reader, "decoded") }
        rowsRead += Int(got)
        return Int(got)
    }

    private static func failure(_ reader: OpaquePointer, _ verb: String) -> TackError {
        .invalid(.corruptImage, "the JPEG cannot be \(verb): \(String(cString: tack_jpeg_reader_message(reader)))")
    }
}
