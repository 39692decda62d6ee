import Foundation
import Synchronization
import TackSpawn

/// Runs a program to the end and returns its exit status with what it wrote (stdout and stderr together).
///
/// A program still running after `limit` is killed and the call throws, so a tool that hangs (no display, a prompt
/// nobody answers) fails its test instead of holding the whole run until CI's own limit.
@discardableResult
public func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
    limit: Duration = .seconds(120)
) throws -> (status: Int32, output: String) {
    let out = Pipe()
    let process = try ChildProcess.run(path, arguments, environment: environment, directory: directory,
                                       input: .null, output: .pipe(out), error: .pipe(out))
    let watchdog = Watchdog(process, limit: limit, name: ([path] + arguments).joined(separator: " "))
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try watchdog.finish()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Kills a started program with SIGKILL if it is still running after its time limit; `finish()`, called once the
/// program has been waited for, throws if that happened. Reading a program's output to its end and waiting for it
/// both block for as long as the program runs: this bounds them.
public final class Watchdog: Sendable {
    private let state = Mutex<(finished: Bool, fired: Bool)>((false, false))
    private let name: String
    private let limit: Duration

    public init(_ process: ChildProcess, limit: Duration, name: String) {
        self.name = name
        self.limit = limit
        let components = limit.components
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        // Holds the watchdog and the process until the limit passes, whether or not still needed: a few bytes.
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            self.state.withLock { state in
                guard !state.finished, process.isRunning else { return }
                state.fired = true
                process.signal(SIGKILL)
            }
        }
    }

    /// Call after waiting for the process; throws if the watchdog had to kill it.
    public func finish() throws {
        let fired = state.withLock { state in
            state.finished = true
            return state.fired
        }
        if fired { throw SupportError("\(name) was still running after \(limit), and was killed") }
    }
}

extension ChildProcess {
    /// Waits for the process to end, for at most `limit` (then kills it and throws), on a thread of its own.
    public func exit(within limit: Duration, name: String) async throws {
        let watchdog = Watchdog(self, limit: limit, name: name)
        try await offThePool { self.waitUntilExit() }
        try watchdog.finish()
    }
}

/// Runs blocking work (sockets, sleeps, waiting for a program) on a thread of its own, off Swift's cooperative
/// pool: a test blocking a pool thread stalls every other test's tasks (the pool has as many threads as cores, two
/// here), stretching their timelines until a rate limit refills or a slow upload ends before its racer starts.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
