import Foundation
import TackCore

/// One run of ffmpeg on an untrusted file, shared by the pictures tackd takes with it (a video's frame, an animated
/// image's first frame, a recording's waveform): local files only, the demuxer named, never guessed.
enum FFmpegRun {
    /// The arguments every run starts with: no stdin; each message tagged with its level, information included (the
    /// input's length, size and codec, `FFmpegLog`), progress left out; `threads` decoding threads (one unless the
    /// caller says: the worker's CPU limit counts every thread); and nothing but local files, so a file cannot make
    /// ffmpeg fetch or open anything it names.
    /// `decoding` holds the decoder's own options (`-skip_frame noref`).
    static func input(_ path: String, demuxer: String, seeking seconds: Int? = nil, threads: Int = 1,
                      decoding: [String] = []) -> [String] {
        ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info", "-threads", String(threads),
         "-protocol_whitelist", "file", "-f", demuxer]
            + (seconds.map { ["-ss", String($0)] } ?? []) + decoding + ["-i", path]
    }

    /// The arguments that write one picture to `output` as an RGB PPM.
    static func picture(_ output: String) -> [String] {
        ["-frames:v", "1", "-f", "image2", "-c:v", "ppm", "-pix_fmt", "rgb24", "-y", output]
    }

    /// How one run went: why it failed, in words about what it was doing (nil when it ended well), and what ffmpeg
    /// said of its input.
    struct Outcome {
        let failure: String?
        let log: FFmpegLog
    }

    /// Runs `program` with `arguments` (which start with `input`), to do what `doing` says.
    static func run(_ program: String, _ arguments: [String], doing: String) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ProgramTextReader.ReaderUnavailable(description: "\(program) is missing (apt install ffmpeg)")
        }
        let run = try ReaderRun(program, arguments)
        let log = FFmpegLog(run.said)
        switch (run.reason, run.status) {
        case (.exit, 0):
            return Outcome(failure: nil, log: log)
        case (.exit, let status), (.lost, let status):
            return Outcome(failure: "ffmpeg cannot \(doing) (exit \(status)\(log.reason.map { ": \($0)" } ?? ""))", log: log)
        case (.uncaughtSignal, let signal):
            return Outcome(failure: "ffmpeg stopped on signal \(signal) (the CPU, memory or file size limit, or a crash)", log: log)
        }
    }
}
