import Foundation
import TackCore
import TackSpawn

/// Reads a file's text with a program made for the job: poppler's `pdftotext` for PDFs, `tesseract` (OCR) for
/// screenshots. At most `maxTextBytes` are kept and the program is stopped as soon as that much has come. It runs
/// inside the `tackd text` worker, whose resource limits it inherits.
public struct ProgramTextReader: Sendable {
    public var maxTextBytes: Int
    /// The program's absolute path, and its arguments with `{}` standing for the file.
    public var program: String
    public var arguments: [String]
    /// What to call the program in errors.
    public var name: String
    /// Exit statuses that mean something particular about the file.
    public var meanings: [Int32: String] = [:]
    /// The Debian package that has it, for the error when it is missing.
    public var package: String
    public var environment: [String: String] = ["LANG": "C.UTF-8"]

    /// poppler's pdftotext: UTF-8, Unix line ends, pages a line apart.
    public static func pdf(maxTextBytes: Int, program: String = "/usr/bin/pdftotext") -> ProgramTextReader {
        ProgramTextReader(maxTextBytes: maxTextBytes, program: program, arguments: ["-q", "-enc", "UTF-8", "-eol", "unix", "{}", "-"],
                          name: "pdftotext", meanings: [3: "the PDF does not allow copying its text"], package: "poppler-utils")
    }

    /// tesseract's OCR in `languages` (tesseract's form: `eng`, `eng+deu`), one thread: the job runs beside the server.
    public static func ocr(maxTextBytes: Int, languages: String, program: String = "/usr/bin/tesseract") -> ProgramTextReader {
        ProgramTextReader(maxTextBytes: maxTextBytes, program: program, arguments: ["{}", "stdout", "-l", languages, "--psm", "3"],
                          name: "tesseract", package: "tesseract-ocr", environment: ["LANG": "C.UTF-8", "OMP_THREAD_LIMIT": "1"])
    }

    /// Thrown when the reader itself is missing or cannot run: the operator's to fix, not the file's fault.
    public struct ReaderUnavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public func extract(file path: String) throws -> ExtractedText {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ReaderUnavailable(description: "\(program) is missing (apt install \(package))")
        }
        let output = Pipe()
        let process: ChildProcess
        do {
            // In the worker's process group, so tackd's deadline, sent to the group, ends the reader too.
            process = try ChildProcess.run(program, arguments.map { $0 == "{}" ? path : $0 }, environment: environment,
                                           input: .null, output: .pipe(output), error: .null, newProcessGroup: false)
        } catch {
            throw ReaderUnavailable(description: error.description)
        }
        // Read one byte past the cap, to know whether there was more, then stop the reader.
        var head = Data()
        let reader = output.fileHandleForReading
        while head.count <= maxTextBytes {
            let chunk = reader.readData(ofLength: min(64 * 1024, maxTextBytes + 1 - head.count))
            if chunk.isEmpty { break }
            head.append(chunk)
        }
        let more = head.count > maxTextBytes
        // SIGKILL: nothing of the reader's is worth a clean exit, and a reader busy in a C loop could ignore SIGTERM.
        if more { process.signal(SIGKILL) }
        process.waitUntilExit()
        if !more {
            switch (process.terminationReason, process.terminationStatus) {
            case (.exit, 0): break
            case (.exit, let status):
                throw TackError(.notText, meanings[status] ?? "\(name) cannot read the file (exit \(status): it is damaged or not what its type says)")
            case (.uncaughtSignal, let signal):
                throw TackError(.notText, "\(name) stopped on signal \(signal) (the CPU or memory limit, or a crash)")
            case (.lost, _):
                throw ReaderUnavailable(description: "\(name) was reaped by something else; how it ended is unknown")
            }
        }
        // Pages come apart by form feeds: a line apart reads better and indexes the same. Other control bytes
        // (pdftotext writes them for glyphs of fonts without a Unicode map) become spaces: one odd font does not
        // make a whole file "not text".
        let bytes = Array(head).map { byte -> UInt8 in
            byte == 0x0C ? 0x0A : byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D ? 0x20 : byte
        }
        return try PlainTextExtractor.extract(bytes, complete: !more, limit: maxTextBytes)
    }
}
