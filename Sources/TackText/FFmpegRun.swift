import Foundation
import TackCore

/// One run of ffmpeg on an untrusted file, shared by the pictures tackd takes with it (a video's frame, an animated
/// image's first frame, a recording's waveform): local files only, the demuxer named, never guessed.
enum FFmpegRun {
    /// The arguments every run starts with: no stdin, errors only, `threads` decoding threads (one unless the caller
    /// says: the worker's CPU limit counts every thread), and nothing but local files, so a file cannot make ffmpeg
    /// fetch or open anything it names.
    static func input(_ path: String, demuxer: String, seeking seconds: Int? = nil, threads: Int = 1) -> [String] {
        ["-nostdin", "-hide_banner", "-loglevel", "error", "-threads", String(threads), "-protocol_whitelist", "file", "-f", demuxer]
            + (seconds.map { ["-ss", String($0)] } ?? []) + ["-i", path]
    }

    /// The arguments that write one picture to `output` as an RGB PPM.
    static func picture(_ output: String) -> [String] {
        ["-frames:v", "1", "-f", "image2", "-c:v", "ppm", "-pix_fmt", "rgb24", "-y", output]
    }

    /// Runs `program` with `arguments`; nil when it ended well, else why not, in words about `doing`.
    static func run(_ program: String, _ arguments: [String], doing: String) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ProgramTextReader.ReaderUnavailable(description: "\(program) is missing (apt install ffmpeg)")
        }
        let run = try ReaderRun(program, arguments)
        switch (run.reason, run.status) {
        case (.exit, 0):
            return nil
        case (.exit, let status), (.lost, let status):
            return "ffmpeg cannot \(doing) (exit \(status)\(run.firstLine.map { ": \($0)" } ?? ""))"
        case (.uncaughtSignal, let signal):
            return "ffmpeg stopped on signal \(signal) (the CPU, memory or file size limit, or a crash)"
        }
    }
}
