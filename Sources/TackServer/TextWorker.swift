import Dispatch
import Foundation
import Synchronization
import TackCore
import TackSpawn
import TackText

/// Runs `tackd text` on a file in a process of its own, with an address-space and a CPU limit it sets on itself and
/// a deadline kept here: a document that crashes, hangs or bloats the C libraries reading it (zlib, libxml2) ends
/// that process, never tackd, and is recorded as failed with the reason.
struct TextWorker: Sendable {
    /// The tackd executable: this process's own.
    let executable: String
    let maxMemoryBytes: Int
    /// CPU seconds the worker may use.
    let maxSeconds: Int
    /// Wall time before the worker is killed.
    let wallMilliseconds: Int
    /// OCR languages, as tesseract names them.
    let languages: String

    /// Killed at 1.5 times its CPU seconds of wall time, and always before its job's lease lapses (another runner
    /// would take the job while it still runs); the CPU limit is never above the wall time.
    init(executable: String, maxMemoryBytes: Int, maxSeconds: Int, leaseSeconds: Int, languages: String) {
        self.executable = executable
        self.languages = languages
        self.maxMemoryBytes = maxMemoryBytes
        wallMilliseconds = max(500, min(maxSeconds * 1500, leaseSeconds * 1000 - 500))
        self.maxSeconds = max(1, min(maxSeconds, wallMilliseconds / 1000))
    }

    /// The file's text; `TackError(.notText)` when the file is at fault (no retry would change it), another error
    /// when the worker could not be run at all.
    func read(_ path: String, format: TextFormat, maxBytes: Int) async throws -> ExtractedText {
        let output = Pipe()
        // Nothing of tackd's environment (S3 keys among it) nor any of its descriptors (clients' connections, the
        // catalog) reaches the worker.
        let process = try ChildProcess.run(
            executable,
            ["text", "--format", format.rawValue, "--max-bytes", String(maxBytes), "--max-memory", String(maxMemoryBytes),
             "--max-seconds", String(maxSeconds), "--languages", languages, "--", path],
            environment: ["LANG": "C.UTF-8"], input: .null, output: .pipe(output), error: .null)
        let pid = process.processIdentifier
        let state = Mutex((finished: false, timedOut: false))
        // The CPU limit stops a busy worker; this stops one that waits (on a pipe, on memory) past 1.5 times as long,
        // with its process group (the worker makes one), so pdftotext goes too. SIGKILL: a reader stuck in a C
        // library gets no say.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(wallMilliseconds)) {
            state.withLock { state in
                guard !state.finished else { return }
                state.timedOut = true
                kill(-pid, SIGKILL)
                process.signal(SIGKILL)
            }
        }
        let (data, status, signalled) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                // The answer is bounded: at most maxBytes of text, escaped.
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                state.withLock { $0.finished = true }
                continuation.resume(returning: (data, process.terminationStatus, process.terminationReason == .uncaughtSignal))
            }
        }
        if signalled {
            if state.withLock({ $0.timedOut }) {
                // Waiting is not the file's fault for sure (a loaded machine): the job is retried.
                throw TackError(.internal, "reading the text took longer than \(wallMilliseconds / 1000) s")
            }
            let reason = status == SIGXCPU || status == SIGKILL ? "took more than \(maxSeconds) s of CPU"
                : "stopped on signal \(status) (out of memory past \(maxMemoryBytes >> 20) MiB, or a crash)"
            throw TackError(.notText, "the reader \(reason)")
        }
        if status == 4 {
            // The reader itself cannot run (poppler-utils missing): the job is retried, the reason in `tackd jobs`.
            throw TackError(.internal, "tackd text could not run its reader: \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        guard let answer = try? JSONDecoder().decode(TextWorkerAnswer.self, from: data) else {
            throw TackError(.internal, "tackd text answered with exit status \(status) and no readable answer")
        }
        if let error = answer.error { throw TackError(.notText, error) }
        return ExtractedText(text: answer.text ?? "", truncated: answer.truncated ?? false)
    }
}
