import Foundation
import TackCore
import TackText

/// Reads a file's text with `tackd text` in a worker process (see `WorkerProcess`); a file that crashes or bloats
/// the reader is recorded as failed with the reason.
struct TextWorker: Sendable {
    let process: WorkerProcess
    /// OCR languages, as tesseract names them.
    let languages: String

    /// The file's text; `TackError(.notText)` when the file is at fault (no retry would change it), another error
    /// when the worker could not be run at all.
    func read(_ path: String, format: TextFormat, maxBytes: Int) async throws -> ExtractedText {
        let ending = try await process.run(
            "text", ["--format", format.rawValue, "--max-bytes", String(maxBytes), "--languages", languages], files: [path])
        if let signal = ending.signal { throw TackError(.notText, "the reader \(process.stopped(on: signal))") }
        if ending.status == 4 {
            // The reader itself cannot run (poppler-utils missing): the job is retried, the reason in `tackd jobs`.
            throw TackError(.internal, "tackd text could not run its reader: \(String(decoding: ending.output.prefix(500), as: UTF8.self))")
        }
        // The answer is bounded: at most maxBytes of text, escaped.
        guard let answer = try? JSONDecoder().decode(TextWorkerAnswer.self, from: ending.output) else {
            throw TackError(.internal, "tackd text answered with exit status \(ending.status) and no readable answer")
        }
        if let error = answer.error { throw TackError(.notText, error) }
        return ExtractedText(text: answer.text ?? "", truncated: answer.truncated ?? false)
    }
}
