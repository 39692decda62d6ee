import Foundation
import TackCore

/// Takes one frame of a video, a few seconds in, or an animated image's first frame (GIF, WebP), to a PPM with
/// `ffmpeg`, for the file's thumbnails. It runs inside the `tackd preview` worker, whose resource limits and process
/// group it shares.
public struct VideoFrameRenderer: Sendable {
    public var program: String
    /// Seconds into the video; a shorter video gives its first frame.
    public var offsetSeconds: Int
    /// Threads ffmpeg decodes with: the frames before the offset are decoded too, and H.264 decodes frames in
    /// parallel.
    public var threads: Int

    public init(program: String = "/usr/bin/ffmpeg", offsetSeconds: Int = 3, threads: Int = 1) {
        self.program = program
        self.offsetSeconds = offsetSeconds
        self.threads = threads
    }

    /// The demuxer for a sniffed content type. Named, never guessed by ffmpeg: its guess could pick a playlist
    /// demuxer (HLS, concat) that opens other files or URLs the video names.
    static func demuxer(for contentType: String) -> String? {
        switch ContentSniffer.essence(contentType) {
        case "video/mp4", "video/quicktime": "mov"
        case "video/webm", "video/x-matroska": "matroska"
        case "image/gif": "gif"
        case "image/webp": "webp_pipe"
        default: nil
        }
    }

    /// Images show their first frame, however long they animate: a still is what a person sees first.
    static func isStill(_ contentType: String) -> Bool { ContentSniffer.essence(contentType).hasPrefix("image/") }

    /// Writes a frame of `path` (of `contentType`) to `output` (a `.ppm` path), at most `longSide` pixels on its
    /// longer side and never enlarged, and returns the video's size, length and codec as ffmpeg read them on the
    /// way. Throws `TackError(.thumbnailFailed)` when the file is at fault, `ProgramTextReader.ReaderUnavailable`
    /// when ffmpeg cannot run.
    @discardableResult
    public func renderFrame(of path: String, contentType: String, longSide: Int, to output: String) throws -> MediaFacts? {
        guard let demuxer = Self.demuxer(for: contentType) else {
            throw TackError(.thumbnailFailed, "\(contentType) is not a video or image tackd takes frames from")
        }
        try? FileManager.default.removeItem(atPath: output)
        let still = Self.isStill(contentType)
        func wrote() -> Bool { FileManager.default.fileExists(atPath: output) }
        // A video's decoder skips the frames no other frame refers to (most B-frames): they are decoded only to be
        // thrown away on the way to the offset, and the frame shown is the first referenced one from there on, at
        // most a few frames later. A 1080p H.264 with B-frames takes a fifth less time; its picture is the same.
        var outcome = try run(path, demuxer: demuxer, at: still ? 0 : offsetSeconds, skippingUnreferenced: !still,
                              longSide: longSide, output: output)
        let facts = outcome.log.facts(of: .video)
        // A stream whose frames after the offset are all unreferenced (legal, if rare) gave nothing: every frame then.
        let shorter = outcome.log.durationMilliseconds.map { $0 <= Int64(offsetSeconds) * 1000 } ?? false
        // A damaged file that ends well but says why it drew nothing (`partial file`) goes straight to the last run.
        if !wrote(), !still, outcome.failure == nil, outcome.log.reason == nil, !shorter {
            outcome = try run(path, demuxer: demuxer, at: offsetSeconds, skippingUnreferenced: false, longSide: longSide, output: output)
        }
        // Shorter than the offset: ffmpeg writes nothing (and may or may not call that an error). A damaged file
        // fails again from the start, with its reason.
        if !wrote() {
            outcome = try run(path, demuxer: demuxer, at: 0, skippingUnreferenced: false, longSide: longSide, output: output)
        }
        if let failure = outcome.failure { throw TackError(.thumbnailFailed, failure) }
        guard FileManager.default.fileExists(atPath: output) else {
            throw TackError(.thumbnailFailed, "ffmpeg found no frame to show (\(outcome.log.reason ?? "the file has no video stream"))")
        }
        return facts ?? outcome.log.facts(of: .video)
    }

    /// Runs ffmpeg once.
    private func run(_ path: String, demuxer: String, at seconds: Int, skippingUnreferenced: Bool, longSide: Int,
                     output: String) throws -> FFmpegRun.Outcome {
        let decoding = skippingUnreferenced ? ["-skip_frame", "noref"] : []
        return try FFmpegRun.run(program, FFmpegRun.input(path, demuxer: demuxer, seeking: seconds, threads: threads,
                                                          decoding: decoding) + [
            "-an", "-sn", "-dn",
            "-vf", "scale=w='min(\(longSide),iw)':h='min(\(longSide),ih)':force_original_aspect_ratio=decrease",
        ] + FFmpegRun.picture(output), doing: "take a frame")
    }
}
