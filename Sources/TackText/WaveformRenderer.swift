import Foundation
import TackCore

/// Draws a recording's waveform (its loudness over its whole length) to a PPM with ffmpeg's `showwavespic`, for the
/// file's thumbnails: dark on light, four times as wide as it is tall. It runs inside the `tackd preview` worker,
/// whose resource limits and process group it shares.
public struct WaveformRenderer: Sendable {
    public var program: String

    public init(program: String = "/usr/bin/ffmpeg") { self.program = program }

    /// The demuxer for a sniffed content type, named, never guessed (see `VideoFrameRenderer.demuxer`).
    static func demuxer(for contentType: String) -> String? {
        switch ContentSniffer.essence(contentType) {
        case "audio/mpeg": "mp3"
        case "audio/ogg": "ogg"
        case "audio/wav": "wav"
        case "audio/flac": "flac"
        case "audio/mp4": "mov"
        default: nil
        }
    }

    /// The picture's size for `longSide`: four times as wide as tall, and even, as the filter wants.
    static func size(longSide: Int) -> (width: Int, height: Int) {
        let width = max(16, longSide) & ~1
        return (width, max(4, width / 4) & ~1)
    }

    /// Writes the waveform of `path` (of `contentType`) to `output` (a `.ppm` path), `longSide` pixels wide, and
    /// returns the recording's length and codec as ffmpeg read them on the way. Throws `TackError(.thumbnailFailed)`
    /// when the file is at fault, `ProgramTextReader.ReaderUnavailable` when ffmpeg cannot run.
    @discardableResult
    public func renderWaveform(of path: String, contentType: String, longSide: Int, to output: String) throws -> MediaFacts? {
        guard let demuxer = Self.demuxer(for: contentType) else {
            throw TackError(.thumbnailFailed, "\(contentType) is not a recording tackd draws")
        }
        try? FileManager.default.removeItem(atPath: output)
        let (width, height) = Self.size(longSide: longSide)
        // The waves (all channels in one) over a light background of the same size.
        let graph = "color=c=0xf4f5f7:s=\(width)x\(height)[paper];"
            + "[0:a:0]aformat=channel_layouts=mono,showwavespic=s=\(width)x\(height):colors=0x2f5d8a[waves];"
            + "[paper][waves]overlay=format=auto:shortest=1"
        let outcome = try FFmpegRun.run(program, FFmpegRun.input(path, demuxer: demuxer) + [
            "-vn", "-sn", "-dn", "-filter_complex", graph,
        ] + FFmpegRun.picture(output), doing: "draw the waveform")
        if let failure = outcome.failure { throw TackError(.thumbnailFailed, failure) }
        guard FileManager.default.fileExists(atPath: output) else {
            throw TackError(.thumbnailFailed, "ffmpeg drew nothing (the file has no audio stream)")
        }
        return outcome.log.facts(of: .audio)
    }
}
