import Foundation
import TackCore

/// Draws a HEIF image (an iPhone's HEIC, an AVIF) to a PPM for the file's thumbnails: libheif's `heif-convert`
/// decodes the images to raw YCbCr (Y4M), and ffmpeg scales the primary one and turns it to RGB with the matrix and
/// range the file declares. It runs inside the `tackd preview` worker, whose resource limits (memory, CPU, and the
/// size of any file it writes) and process group it shares.
///
/// Y4M rather than heif-convert's PNG: writing the PNG took three times as long as decoding the image, and Y4M keeps
/// the samples as they were coded. Y4M carries no colour information, so it comes from the file's own header. Images
/// deeper than 8 bits, which the Y4M writer cuts, go through the PNG.
public struct HEIFImageRenderer: Sendable {
    public var heifConvert: String
    public var ffmpeg: String

    public init(heifConvert: String = "/usr/bin/heif-convert", ffmpeg: String = "/usr/bin/ffmpeg") {
        self.heifConvert = heifConvert
        self.ffmpeg = ffmpeg
    }

    /// Writes the primary image of `path` to `output` (a `.ppm` path), at most `longSide` pixels on its longer side
    /// and never enlarged, refusing before decoding a file whose images come to more than `maxPixels` pixels.
    /// heif-convert's pictures are written beside `output`: its folder must be one the caller made for this job alone
    /// and removes afterwards, even when this process is killed. Returns what the header says (size as shown, codec).
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
        // heif-convert's Y4M writer keeps 8 bits a sample only (deeper samples come out cut in half): deeper images
        // go through its PNG writer, which keeps 16.
        let format = header.highBitDepth ? "png" : "y4m"
        let folder = (output as NSString).deletingLastPathComponent
        let decoded = folder + "/heif." + format
        defer { Self.removePictures(in: folder, format: format) }
        try? FileManager.default.removeItem(atPath: output)
        let run = try ReaderRun(heifConvert, ["--quiet", path, decoded])
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
        let demuxer = format == "y4m" ? "yuv4mpegpipe" : "png_pipe"
        if let reason = try FFmpegRun.run(ffmpeg, FFmpegRun.input(picture, demuxer: demuxer) + ["-vf", filter]
                                          + FFmpegRun.picture(output), doing: "scale the decoded image") {
            throw TackError(.thumbnailFailed, reason)
        }
        return header
    }

    /// The picture of the primary image among what heif-convert wrote: `decoded` itself for a file of one image;
    /// for several it numbers them (`heif-1.y4m`, `heif-2.y4m`), and the primary is the one of its size.
    static func primaryPicture(_ decoded: String, format: String, header: HEIFHeader) throws -> String {
        if FileManager.default.fileExists(atPath: decoded) { return decoded }
        let folder = (decoded as NSString).deletingLastPathComponent
        let numbered = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("heif-") && $0.hasSuffix("." + format) }.sorted().map { folder + "/" + $0 }
        guard !numbered.isEmpty else { throw TackError(.thumbnailFailed, "heif-convert wrote no picture") }
        if numbered.count == 1 { return numbered[0] }
        if let match = numbered.first(where: { Self.size(of: $0, format: format).map { $0 == (header.width, header.height) } ?? false }) {
            return match
        }
        throw TackError(.thumbnailFailed, "the file holds \(numbered.count) images and none is the primary image's \(header.width)x\(header.height)")
    }

    /// The width and height a picture heif-convert wrote says it has: a Y4M's `W` and `H` tags, a PNG's IHDR.
    static func size(of path: String, format: String) -> (Int, Int)? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let start = try? file.read(upToCount: 128) else { return nil }
        let bytes = Array(start)
        if format == "png" {
            guard bytes.count >= 24 else { return nil }
            func u32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
            return (u32(16), u32(20))
        }
        let line = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self).split(separator: " ")
        guard let width = line.first(where: { $0.hasPrefix("W") }).flatMap({ Int($0.dropFirst()) }),
              let height = line.first(where: { $0.hasPrefix("H") }).flatMap({ Int($0.dropFirst()) }) else { return nil }
        return (width, height)
    }

    /// Removes the pictures heif-convert wrote (`heif.FORMAT`, `heif-N.FORMAT`) from `folder`.
    static func removePictures(in folder: String, format: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        where name.hasPrefix("heif") && name.hasSuffix("." + format) {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
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
