import Foundation
import TackSpawn

/// How a reader program (pdftoppm, ffmpeg) ended, and the first line of what it said on stderr.
struct ReaderRun {
    let reason: ChildProcess.TerminationReason
    let status: Int32
    let firstLine: String?

    /// Runs `program` in the worker's process group (so tackd's deadline ends it too), with no stdin, stdout
    /// discarded and stderr read to its end (a closed pipe would end the program with SIGPIPE mid-work), keeping
    /// its first 4 KiB: a damaged file can make a reader say the same thing a million times.
    init(_ program: String, _ arguments: [String]) throws {
        let messages = Pipe()
        let process: ChildProcess
        do {
            process = try ChildProcess.run(program, arguments, environment: ["LANG": "C.UTF-8"], input: .null, output: .null,
                                           error: .pipe(messages), newProcessGroup: false)
        } catch {
            throw ProgramTextReader.ReaderUnavailable(description: error.description)
        }
        var said = Data()
        while let chunk = try? messages.fileHandleForReading.read(upToCount: 64 * 1024), !chunk.isEmpty {
            if said.count < 4096 { said.append(chunk.prefix(4096 - said.count)) }
        }
        process.waitUntilExit()
        reason = process.terminationReason
        status = process.terminationStatus
        firstLine = String(decoding: said, as: UTF8.self).split(separator: "\n").first.map(String.init)
        if reason == .lost {
            throw ProgramTextReader.ReaderUnavailable(description: "\(program) was reaped by something else; how it ended is unknown")
        }
    }
}
