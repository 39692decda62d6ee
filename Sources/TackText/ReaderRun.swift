import Foundation
import TackCore
import TackSpawn

/// How a reader program (pdftoppm, ffmpeg) ended, and what it said on stderr.
struct ReaderRun {
    let reason: ChildProcess.TerminationReason
    let status: Int32
    /// The start of what it said: at most 64 KiB.
    let said: String
    /// The first line, cut as `FFmpegLog` cuts a reason: it is stored with the file and shown to people.
    var firstLine: String? { said.split(separator: "\n").first.map { String($0.prefix(FFmpegLog.reasonLimit)) } }

    /// Runs `program` in the worker's process group (so tackd's deadline ends it too), with no stdin, stdout
    /// discarded and stderr read to its end (a closed pipe would end the program with SIGPIPE mid-work), keeping
    /// its first 64 KiB: a damaged file can make a reader say the same thing a million times, and ffmpeg's facts
    /// follow the input's tags, which a file may make long.
    init(_ program: String, _ arguments: [String]) throws {
        let messages = Pipe()
        let process: ChildProcess
        do {
            process = try ChildProcess.run(program, arguments, environment: ["LANG": "C.UTF-8"], input: .null, output: .null,
                                           error: .pipe(messages), newProcessGroup: false)
        } catch {
            throw ProgramTextReader.ReaderUnavailable(description: error.description)
        }
        let said = messages.drain(keepingFirst: 64 * 1024)
        process.waitUntilExit()
        reason = process.terminationReason
        status = process.terminationStatus
        self.said = String(decoding: said, as: UTF8.self)
        if reason == .lost {
            throw ProgramTextReader.ReaderUnavailable(description: "\(program) was reaped by something else; how it ended is unknown")
        }
    }
}

extension Pipe {
    /// Reads the pipe to its end, keeping only its first `limit` bytes: a program whose pipe closed early would end
    /// on SIGPIPE mid-work, and one that says the same thing a million times must not be held in memory.
    func drain(keepingFirst limit: Int) -> Data {
        var kept = Data()
        while let chunk = try? fileHandleForReading.read(upToCount: 64 * 1024), !chunk.isEmpty {
            if kept.count < limit { kept.append(chunk.prefix(limit - kept.count)) }
        }
        return kept
    }
}
