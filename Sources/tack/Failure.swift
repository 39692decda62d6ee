import Foundation
import TackCapture
import TackClient

/// tack's exit codes: stable, so scripts and key bindings can tell what happened.
enum ExitStatus: Int32 {
    case done = 0
    case cancelled = 1
    case usage = 2
    /// The server could not be reached; the work is safe in the outbox.
    case queued = 3
    /// The server said no: auth, permission, a limit.
    case refused = 4
    case badInput = 5
    case display = 6
}

/// A command's failure: the one line to print and the exit code.
struct Failure: Error {
    let status: ExitStatus
    let message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status; self.message = message
    }

    init(_ error: CaptureError) {
        switch error {
        case .display, .server: self.init(.display, error.description)
        case .cancelled: self.init(.cancelled, error.description)
        case .badGeometry: self.init(.usage, error.description)
        case .outside, .noSuchMonitor, .noSuchWindow: self.init(.badInput, error.description)
        }
    }

    init(_ error: ClientError) {
        switch error {
        case .unreachable: self.init(.queued, error.description)
        case .refused: self.init(.refused, error.description)
        case .local: self.init(.badInput, error.description)
        case .insecure: self.init(.usage, error.description)
        }
    }
}

/// Logs go to stderr, results to stdout.
enum Console {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func log(_ line: String) {
        FileHandle.standardError.write(Data("tack: \(line)\n".utf8))
    }

    static func json(_ value: Any) {
        print(jsonText(value))
    }

    static func jsonText(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A line on stdout at once, unbuffered: what a long-running command (`tack watch`) prints into a pipe must
    /// arrive line by line.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
