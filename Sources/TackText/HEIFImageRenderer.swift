import Foundation
import TackCore

/// Draws a HEIF image (an iPhone's HEIC, an AVIF) to a PPM for the file's thumbnails: libheif's `heif-convert`
/// decodes the images to raw YCbCr (Y4M), and ffmpeg scales the primary one and turns it to RGB with the matrix and
/// range the file declares. It runs inside the `tackd preview` worker, whose resource limits (memory, CPU, and the
/// size of any file it writes) and process group it shares.
///
/// Y4M rather than heif-convert's PNG: writing the PNG took three times as long as decoding the image, and Y4M keeps
/// the samples as they were coded. Y4M carries no colour information, so it comes from the file's own header. Images
/// deeper than 8 bits, which the Y4M writer cuts, go through its JPEG writer (quality 95), which reduces them itself.
public struct HEIFImageRenderer: Sendable {
    public var heifConvert: String
    public var ffmpeg: String

    public init(heifConvert: String = "/usr/bin/heif-convert", ffmpeg: String = "/usr/bin/ffmpeg") {
        self.heifConvert = heifConvert
        self.ffmpeg = ffmpeg
    }

    /// Writes the primary image of `path` to `output` (a `.ppm` path), at most `longSide` pixels on its longer side
    /// and never enlarged, refusing before decoding a file whose images come to more than `maxPixels` pixels.
    /// heif-convert's pictures are written to a folder made beside `output` and removed after; the service puts
    /// `output` in a folder of the job's own, removed even when this process is killed. Returns what the header says (size as shown, codec).
    /// Throws `TackError(.thumbnailFailed)` when the file is at fault, `ProgramTextReader.ReaderUnavailable` when
    /// heif-convert or ffmpeg cannot run.
    public func render(_ path: String, longSide: Int, maxPixels: Int, to output: String) throws -> HEIFHeader {
        guard FileManager.default.isExecutableFile(atPath: heifConvert) else {
            throw ProgramTextReader.ReaderUnavailable(description: "\(heifConvert) is missing (apt install libheif-examples)")
        }
        guard output.hasSuffix(".ppm") else { preconditionFailure("the picture is a PPM: \(output)") }
        let header = try HEIFHeader.parse(try Self.start(of: path))
        guard header.decodedPixels <= maxPixels else {
            throw TackError(.thumbnailFailed, "the file's images come to \(header.decodedPixels) pixels, over the limit of \(maxPixels) (max_image_pixels)")
        }
        // heif-convert's Y4M writer keeps 8 bits a sample only (deeper samples come out cut in half): deeper images go
        // through its JPEG writer, which converts them to 8 bits itself (its 16-bit PNG took 20 s of CPU for 12 MP).
        let format = header.highBitDepth ? "jpg" : "y4m"
        // A folder of its own beside `output`, so nothing else there is ever read or removed.
        let folder = try PrivateFolder.make(beside: output, prefix: "heif")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let decoded = folder + "/heif." + format
        try? FileManager.default.removeItem(atPath: output)
        let run = try ReaderRun(heifConvert, ["--quiet", "-q", "95", path, decoded])
        switch (run.reason, run.status) {
        case (.exit, 0):
            break
        case (.exit, let status), (.lost, let status):
            throw TackError(.thumbnailFailed, "heif-convert cannot decode the image (exit \(status)\(run.firstLine.map { ": \($0)" } ?? ""))")
        case (.uncaughtSignal, let signal):
            throw TackError(.thumbnailFailed, "heif-convert stopped on signal \(signal) (the CPU, memory or file size limit, or a crash)")
        }
        let picture = try Self.primaryPicture(decoded, format: format, header: header)
        var filter = "scale=w='min(\(longSide),iw)':h='min(\(longSide),ih)':force_original_aspect_ratio=decrease"
        if format == "y4m" { filter += ":" + Self.colourOptions(header.colour) }
        let demuxer = format == "y4m" ? "yuv4mpegpipe" : "jpeg_pipe"
        if let reason = try FFmpegRun.run(ffmpeg, FFmpegRun.input(picture, demuxer: demuxer) + ["-vf", filter]
                                          + FFmpegRun.picture(output), doing: "scale the decoded image").failure {
            throw TackError(.thumbnailFailed, reason)
        }
        return header
    }

    /// The picture of the primary image among what heif-convert wrote: `decoded` itself for a file of one image; for
    /// several it numbers them (`heif-1.y4m`, `heif-2.y4m`) in the order of the header's top-level images.
    static func primaryPicture(_ decoded: String, format: String, header: HEIFHeader) throws -> String {
        if FileManager.default.fileExists(atPath: decoded) { return decoded }
        let base = String(decoded.dropLast(format.count + 1))
        if let index = header.primaryIndex, FileManager.default.fileExists(atPath: "\(base)-\(index + 1).\(format)") {
            return "\(base)-\(index + 1).\(format)"
        }
        throw TackError(.thumbnailFailed, "heif-convert wrote no picture of the primary image")
    }

    /// ffmpeg's scale options for the file's YCbCr: its matrix and range, and libheif's defaults (BT.601, full range)
    /// when it declares none. Y4M would otherwise be read as BT.601 at limited range, washing out every full-range
    /// image.
    static func colourOptions(_ colour: HEIFHeader.Colour?) -> String {
        let matrix = switch colour?.matrixCoefficients ?? 6 {
        case 1: "bt709"
        case 4: "fcc"
        case 7: "smpte240m"
        case 9, 10: "bt2020"
        default: "bt601"
        }
        return "in_color_matrix=\(matrix):in_range=\(colour?.fullRange ?? true ? "full" : "limited")"
    }

    /// The file's first `HEIFHeader.maxHeaderBytes` bytes (all of it when shorter).
    private static func start(of path: String) throws -> [UInt8] {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw TackError(.thumbnailFailed, "the file cannot be opened")
        }
        defer { try? file.close() }
        var bytes: [UInt8] = []
        while bytes.count < HEIFHeader.maxHeaderBytes,
              let chunk = try file.read(upToCount: HEIFHeader.maxHeaderBytes - bytes.count), !chunk.isEmpty {
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }
}
