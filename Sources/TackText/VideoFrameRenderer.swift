import Foundation
import TackCore

/// Takes one frame of a video, a few seconds in, to a PPM with `ffmpeg`, for the file's thumbnails. It runs inside
/// the `tackd preview` worker, whose resource limits and process group it shares.
public struct VideoFrameRenderer: Sendable {
    public var program: String
    /// Seconds into the video; a shorter video gives its first frame.
    public var offsetSeconds: Int

    public init(program: String = "/usr/bin/ffmpeg", offsetSeconds: Int = 3) {
        self.program = program
        self.offsetSeconds = offsetSeconds
    }

    /// The demuxer for a sniffed content type. Named, never guessed by ffmpeg: its guess could pick a playlist
    /// demuxer (HLS, concat) that opens other files or URLs the video names.
    static func demuxer(for contentType: String) -> String? {
        switch ContentSniffer.essence(contentType) {
        case "video/mp4", "video/quicktime": "mov"
        case "video/webm", "video/x-matroska": "matroska"
        default: nil
        }
    }

    /// Writes a frame of `path` (of `contentType`) to `output` (a `.ppm` path), at most `longSide` pixels on its
    /// longer side and never enlarged. Throws `TackError(.thumbnailFailed)` when the file is at fault,
    /// `ProgramTextReader.ReaderUnavailable` when ffmpeg cannot run.
    public func renderFrame(of path: String, contentType: String, longSide: Int, to output: String) throws {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ProgramTextReader.ReaderUnavailable(description: "\(program) is missing (apt install ffmpeg)")
        }
        guard let demuxer = Self.demuxer(for: contentType) else {
            throw TackError(.thumbnailFailed, "\(contentType) is not a video tackd takes frames from")
        }
        try? FileManager.default.removeItem(atPath: output)
        var reason = try run(path, demuxer: demuxer, at: offsetSeconds, longSide: longSide, output: output)
        // Shorter than the offset: ffmpeg writes nothing (and may or may not call that an error). A damaged file
        // fails again from the start, with its reason.
        if !FileManager.default.fileExists(atPath: output) {
            reason = try run(path, demuxer: demuxer, at: 0, longSide: longSide, output: output)
        }
        if let reason { throw TackError(.thumbnailFailed, reason) }
        guard FileManager.default.fileExists(atPath: output) else {
            throw TackError(.thumbnailFailed, "ffmpeg found no frame to show (the file has no video stream)")
        }
    }

    /// Runs ffmpeg once; nil when it ended well, else why not.
    private func run(_ path: String, demuxer: String, at seconds: Int, longSide: Int, output: String) throws -> String? {
        let run = try ReaderRun(program, [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1",
            // Local files only: a video cannot make ffmpeg fetch anything (no http, no other files by reference).
            "-protocol_whitelist", "file", "-f", demuxer, "-ss", String(seconds), "-i", path,
            "-frames:v", "1", "-an", "-sn", "-dn",
            "-vf", "scale=w='min(\(longSide),iw)':h='min(\(longSide),ih)':force_original_aspect_ratio=decrease",
            "-f", "image2", "-c:v", "ppm", "-pix_fmt", "rgb24", "-y", output,
        ])
        switch (run.reason, run.status) {
        case (.exit, 0):
            return nil
        case (.exit, let status), (.lost, let status):
            return "ffmpeg cannot take a frame (exit \(status)\(run.firstLine.map { ": \($0)" } ?? ""))"
        case (.uncaughtSignal, let signal):
            return "ffmpeg stopped on signal \(signal) (the CPU or memory limit, or a crash)"
        }
    }
}
