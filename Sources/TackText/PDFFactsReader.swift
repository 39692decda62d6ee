import Foundation
import TackCore
import TackSpawn

/// Reads what a preview worker reports beside a file's picture: a PDF's pages (`pdfinfo`), a video's or a
/// recording's size, length and codec (`ffprobe`, its demuxer named, local files only). Best effort: a file whose
/// facts cannot be read still has its picture, so every failure here is nil, never an error.
public struct MediaFactsReader: Sendable {
    public var pdfinfo: String
    public var ffprobe: String

    public init(pdfinfo: String = "/usr/bin/pdfinfo", ffprobe: String = "/usr/bin/ffprobe") {
        self.pdfinfo = pdfinfo
        self.ffprobe = ffprobe
    }

    /// The facts of `path`, a file of `contentType` rendered as `source`.
    public func facts(of path: String, as source: PreviewSource, contentType: String) -> MediaFacts? {
        switch source {
        // A HEIF image's facts are its header's, read before it is decoded (HEIFImageRenderer).
        case .image, .heifImage: return nil
        case .pdfPage:
            return Self.output(of: pdfinfo, ["--", path]).flatMap { MediaFacts.pdfPages(fromPDFInfo: String(decoding: $0, as: UTF8.self)) }
                .map { MediaFacts(pages: $0) }
        case .videoFrame, .waveform:
            guard let demuxer = VideoFrameRenderer.demuxer(for: contentType) ?? WaveformRenderer.demuxer(for: contentType) else { return nil }
            let arguments = ["-v", "error", "-protocol_whitelist", "file", "-f", demuxer,
                             "-show_entries", "format=duration:stream=codec_type,codec_name,width,height", "-of", "json", path]
            return Self.output(of: ffprobe, arguments).flatMap(MediaFacts.probed(fromFFprobe:))
        }
    }

    /// What `program` printed on stdout (at most 64 KiB), when it ended well; it runs in the worker's process group.
    static func output(of program: String, _ arguments: [String]) -> [UInt8]? {
        guard FileManager.default.isExecutableFile(atPath: program) else { return nil }
        let output = Pipe()
        guard let process = try? ChildProcess.run(program, arguments, environment: ["LANG": "C.UTF-8"], input: .null,
                                                  output: .pipe(output), error: .null, newProcessGroup: false)
        else { return nil }
        // Facts are read beside the picture, which the thumbnail waits for: the decoder gets the cores first, and
        // the reader (ffprobe spends 140 ms of CPU loading its libraries) the time the decoder leaves.
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(process.processIdentifier), 10)
        var kept = Data()
        // Read to the end (a closed pipe would end the program with SIGPIPE), keeping the start.
        while let chunk = try? output.fileHandleForReading.read(upToCount: 64 * 1024), !chunk.isEmpty {
            if kept.count < 64 * 1024 { kept.append(chunk.prefix(64 * 1024 - kept.count)) }
        }
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else { return nil }
        return Array(kept)
    }
}
