import Foundation
import TackCore

/// Draws a HEIF image (an iPhone's HEIC, an AVIF) to a PPM for the file's thumbnails: libheif's `heif-convert`
/// decodes the primary image to raw YCbCr (Y4M), and ffmpeg scales it and turns it to RGB with the matrix and range
/// the file declares. It runs inside the `tackd preview` worker, whose resource limits and process group it shares.
///
/// Y4M rather than heif-convert's PNG: writing the PNG took three times as long as decoding the image, and Y4M keeps
/// the samples as they were coded. Y4M carries no colour information, so it comes from the file's own header.
public struct HEIFImageRenderer: Sendable {
    public var heifConvert: String
    public var ffmpeg: String

    public init(heifConvert: String = "/usr/bin/heif-convert", ffmpeg: String = "/usr/bin/ffmpeg") {
        self.heifConvert = heifConvert
        self.ffmpeg = ffmpeg
    }

    /// Writes the primary image of `path` to `output` (a `.ppm` path), at most `longSide` pixels on its longer side
    /// and never enlarged, refusing before decoding a file any of whose items has more than `maxPixels` pixels.
    /// Returns what the header says (size as shown, codec). Throws `TackError(.thumbnailFailed)` when the file is at
    /// fault, `ProgramTextReader.ReaderUnavailable` when heif-convert or ffmpeg cannot run.
    public func render(_ path: String, longSide: Int, maxPixels: Int, to output: String) throws -> HEIFHeader {
        guard FileManager.default.isExecutableFile(atPath: heifConvert) else {
            throw ProgramTextReader.ReaderUnavailable(description: "\(heifConvert) is missing (apt install libheif-examples)")
        }
        guard output.hasSuffix(".ppm") else { preconditionFailure("the picture is a PPM: \(output)") }
        let header = try HEIFHeader.parse(try Self.start(of: path))
        guard header.largestPixels <= maxPixels else {
            throw TackError(.thumbnailFailed, "the image declares \(header.largestPixels) pixels, over the limit of \(maxPixels) (max_image_pixels)")
        }
        let samples = String(output.dropLast(4)) + ".y4m"
        defer { try? FileManager.default.removeItem(atPath: samples) }
        try? FileManager.default.removeItem(atPath: output)
        let run = try ReaderRun(heifConvert, ["--quiet", path, samples])
        switch (run.reason, run.status) {
        case (.exit, 0) where FileManager.default.fileExists(atPath: samples):
            break
        case (.exit, let status), (.lost, let status):
            throw TackError(.thumbnailFailed, "heif-convert cannot decode the image (exit \(status)\(run.firstLine.map { ": \($0)" } ?? ""))")
        case (.uncaughtSignal, let signal):
            throw TackError(.thumbnailFailed, "heif-convert stopped on signal \(signal) (the CPU or memory limit, or a crash)")
        }
        let scale = "scale=w='min(\(longSide),iw)':h='min(\(longSide),ih)':force_original_aspect_ratio=decrease"
            + ":" + Self.colourOptions(header.colour)
        if let reason = try FFmpegRun.run(ffmpeg, FFmpegRun.input(samples, demuxer: "yuv4mpegpipe") + ["-vf", scale]
                                          + FFmpegRun.picture(output), doing: "scale the decoded image") {
            throw TackError(.thumbnailFailed, reason)
        }
        return header
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
