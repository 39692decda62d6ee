import CSpawnShim
import Foundation
import Synchronization

/// A program started by tack, tackd or the tests: Foundation's `Process` without its descriptor leak (see
/// tack_spawn.h), with the same names for what is asked of it afterwards.
///
/// Waiting does not reap the child until its status is recorded under the lock that signals are sent under, so a
/// signal never reaches a process that has been reaped (whose number another may have taken).
public final class ChildProcess: Sendable {
    /// Where one of the child's descriptors 0, 1 and 2 comes from.
    public enum Stream: @unchecked Sendable {
        // @unchecked: `run` only reads the handles' descriptors and closes a pipe's far end, which FileHandle
        // makes safe to do more than once.
        /// The parent's own descriptor of the same number.
        case inherit
        /// /dev/null.
        case null
        /// The pipe's far end (its read end for stdin, its write end otherwise), which the parent then closes, so
        /// the pipe ends when the child (and whatever it hands the descriptor to) is done with it.
        case pipe(Pipe)
        /// An open file, which stays open in the parent.
        case file(FileHandle)
    }

    /// How the child ended: `exit` carries the exit status, `uncaughtSignal` the signal's number. `lost`: something
    /// else in this process reaped it (a `waitpid(-1)`, SIGCHLD ignored), so how it ended is unknown.
    public enum TerminationReason: Sendable, Equatable {
        case exit
        case uncaughtSignal
        case lost
    }

    /// Why a program could not be started: the path and the system's reason.
    public struct LaunchError: Error, CustomStringConvertible {
        public let path: String
        public let code: Int32
        public var description: String { "cannot run \(path): \(String(cString: strerror(code)))" }
    }

    public let processIdentifier: pid_t
    private let ending = Mutex<(reason: TerminationReason, status: Int32)?>(nil)

    private init(processIdentifier: pid_t) {
        self.processIdentifier = processIdentifier
    }

    /// Starts `executable` (a path, relative to this process's directory; nothing is looked up on PATH) with
    /// `arguments`. `environment` nil passes the parent's on. `newProcessGroup` false keeps the child in the parent's
    /// group, so a signal to the group (a deadline's SIGKILL) ends both.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
        input: Stream = .inherit, output: Stream = .inherit, error: Stream = .inherit, newProcessGroup: Bool = true
    ) throws(LaunchError) -> ChildProcess {
        // The child changes directory before it execs: a relative path would be looked up from there.
        let executable = executable.hasPrefix("/") ? executable : FileManager.default.currentDirectoryPath + "/" + executable
        let streams = [input, output, error]
        let fds: [Int32] = streams.enumerated().map { number, stream in
            switch stream {
            case .inherit: Int32(number)
            case .null: -1
            case .pipe(let pipe): number == 0 ? pipe.fileHandleForReading.fileDescriptor : pipe.fileHandleForWriting.fileDescriptor
            case .file(let handle): handle.fileDescriptor
            }
        }
        // A closed handle reads as -1, which would quietly mean /dev/null.
        for (number, stream) in streams.enumerated() where fds[number] < 0 {
            if case .null = stream { continue }
            throw LaunchError(path: executable, code: EBADF)
        }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let code = withCStrings([executable] + arguments) { argv in
            withCStrings(variables) { envp in
                fds.withUnsafeBufferPointer { fds in
                    if let directory {
                        tack_spawn(&pid, executable, argv, envp, directory, fds.baseAddress, newProcessGroup ? 1 : 0)
                    } else {
                        tack_spawn(&pid, executable, argv, envp, nil, fds.baseAddress, newProcessGroup ? 1 : 0)
                    }
                }
            }
        }
        for (number, stream) in streams.enumerated() {
            guard case .pipe(let pipe) = stream else { continue }
            try? (number == 0 ? pipe.fileHandleForReading : pipe.fileHandleForWriting).close()
        }
        guard code == 0 else { throw LaunchError(path: executable, code: code) }
        return ChildProcess(processIdentifier: pid)
    }

    /// Whether the child has not ended yet (an ended child is reaped here).
    public var isRunning: Bool {
        ending.withLock { ending in
            guard ending == nil else { return false }
            var status: Int32 = 0
            switch waitpid(processIdentifier, &status, WNOHANG) {
            case processIdentifier: ending = Self.decode(status)
            case -1 where errno == ECHILD: ending = (.lost, 0)
            default: return true
            }
            return false
        }
    }

    /// Blocks the calling thread until the child ends.
    public func waitUntilExit() {
        guard ending.withLock({ $0 == nil }) else { return }
        // WNOWAIT leaves the child a zombie, its number still its own, until the status is taken under the lock.
        var info = siginfo_t()
        while waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        ending.withLock { ending in
            guard ending == nil else { return }
            var status: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(processIdentifier, &status, 0) } while reaped == -1 && errno == EINTR
            ending = reaped == processIdentifier ? Self.decode(status) : (.lost, 0)
        }
    }

    /// Sends `signal` unless the child has already been reaped.
    public func signal(_ signal: Int32) {
        ending.withLock { ending in
            if ending == nil { _ = kill(processIdentifier, signal) }
        }
    }

    /// SIGTERM, which the child receives (it starts with no signal blocked).
    public func terminate() { signal(SIGTERM) }

    /// The exit status, or the signal's number; only once the child has ended.
    public var terminationStatus: Int32 { ended.status }

    public var terminationReason: TerminationReason { ended.reason }

    private var ended: (reason: TerminationReason, status: Int32) {
        guard let ending = ending.withLock({ $0 }) else { preconditionFailure("the child \(processIdentifier) is still running") }
        return ending
    }

    private static func decode(_ status: Int32) -> (reason: TerminationReason, status: Int32) {
        let signal = status & 0x7f
        return signal == 0 ? (.exit, (status >> 8) & 0xff) : (.uncaughtSignal, signal)
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
