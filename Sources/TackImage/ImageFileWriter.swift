import CJPEGShim
import CPNGShim
import Foundation
import TackCore

/// How pixels lie in memory, so encoders can read a capture without converting it first.
public enum PixelLayout: Sendable {
    /// R, G, B, A bytes.
    case rgba
    /// B, G, R and an unused byte: X11's 32-bit TrueColor on a little-endian machine.
    case bgrx
}

/// The formats images are written in.
public enum OutputFormat: String, Sendable, CaseIterable {
    case png
    case jpeg

    /// The format a file name asks for, from its extension.
    public init?(fileName: String) {
        guard let dot = fileName.lastIndex(of: "."), !fileName[dot...].contains("/") else { return nil }
        switch fileName[fileName.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }

    public var fileExtension: String { self == .png ? "png" : "jpg" }
    public var contentType: String { self == .png ? "image/png" : "image/jpeg" }
}

/// Encoder settings. The PNG defaults are tuned for screen content: a screen of at most 256 colours (text, most UI)
/// becomes an exact palette PNG, other rows get the filter that suits each, zlib level 1 matches runs or repeats
/// as a sample of each band shows best, and the bands compress on every core. JPEGs are encoded in bands on every
/// core too, joined by restart markers into one stream.
public struct EncodeOptions: Sendable, Equatable {
    public var jpegQuality = 90
    public var pngLevel = 1
    public var pngStrategy = PNGStrategy.auto
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    public init(jpegQuality: Int = 90) { self.jpegQuality = jpegQuality }

    /// zlib's compression strategies.
    public enum PNGStrategy: Int32, Sendable {
        /// Each band's choice between `rle` and `default`, by trying both on a sample of its rows.
        case auto = -1
        case `default` = 0, filtered = 1, huffmanOnly = 2, rle = 3
    }
}

/// Writes pixels as PNG or JPEG straight to a file descriptor.
public enum ImageFileWriter {
    public static func write(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int, layout: PixelLayout,
                             format: OutputFormat, options: EncodeOptions = EncodeOptions(),
                             to descriptor: Int32) throws(TackError) {
        guard width > 0, height > 0, stride >= width * 4, pixels.count >= stride * (height - 1) + width * 4 else {
            throw TackError(.encodeFailed, "the pixel buffer does not match \(width)x\(height)")
        }
        var message = [CChar](repeating: 0, count: 256)
        let base = pixels.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let layoutCode: Int32 = layout == .rgba ? 0 : 1
        let status: Int32
        switch format {
        case .png:
            status = tack_png_write_fd_parallel(base, Int32(width), Int32(height), stride, layoutCode, Int32(options.pngLevel),
                                                options.pngStrategy.rawValue, Int32(max(1, options.threads)), descriptor,
                                                &message, message.count)
        case .jpeg:
            status = tack_jpeg_write_fd_parallel(base, Int32(width), Int32(height), stride, layoutCode,
                                                 Int32(max(1, min(100, options.jpegQuality))), Int32(max(1, options.threads)),
                                                 descriptor, &message, message.count)
        }
        guard status == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw TackError(.encodeFailed, "writing the \(format.rawValue.uppercased()) failed: \(text.isEmpty ? "an I/O error" : text)")
        }
    }
}
