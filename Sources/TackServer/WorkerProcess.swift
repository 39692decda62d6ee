import Dispatch
import Foundation
import Synchronization
import TackCore
import TackSpawn

/// Runs one of tackd's worker commands (`tackd text`, `tackd preview`) in a process of its own, with an
/// address-space and a CPU limit it sets on itself and a deadline kept here: a file that crashes, hangs or bloats
/// the C libraries reading it (zlib, libxml2, poppler, tesseract) ends that process, never tackd.
struct WorkerProcess: Sendable {
    /// The tackd executable: this process's own.
    let executable: String
    let maxMemoryBytes: Int
    /// CPU seconds the worker may use.
    let maxSeconds: Int
    /// Wall time before the worker is killed.
    let wallMilliseconds: Int

    /// How a worker ended, when it was not killed for its deadline.
    struct Ending {
        /// What it wrote to stdout (its answer; workers keep it small).
        let output: Data
        let status: Int32
        /// The signal that ended it, if one did (its CPU or memory limit, or a crash).
        let signal: Int32?
    }

    /// Killed at 1.5 times its CPU seconds of wall time, and always before its job's lease lapses (another runner
    /// would take the job while it still runs); the CPU limit is never above the wall time.
    init(executable: String, maxMemoryBytes: Int, maxSeconds: Int, leaseSeconds: Int) {
        self.executable = executable
        self.maxMemoryBytes = maxMemoryBytes
        wallMilliseconds = max(500, min(maxSeconds * 1500, leaseSeconds * 1000 - 500))
        self.maxSeconds = max(1, min(maxSeconds, wallMilliseconds / 1000))
    }

    /// Runs `tackd COMMAND OPTIONS --max-memory M --max-seconds S -- FILES`. Throws `.internal` (so the job is
    /// retried) when the deadline passed: waiting is not surely the file's fault, a loaded machine waits too.
    func run(_ command: String, _ options: [String], files: [String]) async throws -> Ending {
        let output = Pipe()
        // Nothing of tackd's environment (S3 keys among it) nor any of its descriptors (clients' connections, the
        // catalog) reaches the worker.
        let process = try ChildProcess.run(
            executable,
            [command] + WorkerCommandLine.arguments(options: options, maxMemory: maxMemoryBytes, maxSeconds: maxSeconds, files: files),
            environment: ["LANG": "C.UTF-8"], input: .null, output: .pipe(output), error: .null)
        let pid = process.processIdentifier
        let state = Mutex((finished: false, timedOut: false))
        // The CPU limit stops a busy worker; this stops one that waits (on a pipe, on memory) past 1.5 times as long,
        // with its process group, where its reader (pdftotext, pdftoppm, tesseract) runs too. SIGKILL: a reader
        // stuck in a C library gets no say.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(wallMilliseconds)) {
            state.withLock { state in
                // Not once it has ended by itself (isRunning reaps it, recording how): that is the file's doing.
                guard !state.finished, process.isRunning else { return }
                state.timedOut = true
                kill(-pid, SIGKILL)
                process.signal(SIGKILL)
            }
        }
        let ending = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                state.withLock { $0.finished = true }
                continuation.resume(returning: Ending(
                    output: data, status: process.terminationStatus,
                    signal: process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil))
            }
        }
        if ending.signal != nil, state.withLock({ $0.timedOut }) {
            throw TackError(.internal, "tackd \(command) took longer than \(wallMilliseconds / 1000) s")
        }
        return ending
    }

    /// Why a worker that ended on `signal` stopped, in words for the file's failure.
    func stopped(on signal: Int32) -> String {
        signal == SIGXCPU || signal == SIGKILL ? "took more than \(maxSeconds) s of CPU"
            : "stopped on signal \(signal) (out of memory past \(maxMemoryBytes >> 20) MiB, or a crash)"
    }
}
