import Foundation
import TackCore

/// Reads the text of a PDF with poppler's `pdftotext` (Debian's poppler-utils), the reader Debian's own tools use:
/// page by page, UTF-8, at most `maxTextBytes` kept, the reader stopped as soon as that much has come. It runs inside
/// the `tackd text` worker, whose resource limits it inherits.
public struct PDFTextExtractor: Sendable {
    public var maxTextBytes: Int
    public var program: String

    public init(maxTextBytes: Int, program: String = "/usr/bin/pdftotext") {
        self.maxTextBytes = maxTextBytes
        self.program = program
    }

    /// Thrown when the reader itself is missing or cannot run: the operator's to fix, not the file's fault.
    public struct ReaderUnavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public func extract(file path: String) throws -> ExtractedText {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ReaderUnavailable(description: "\(program) is missing (apt install poppler-utils)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        // -q: no warnings on stdout's neighbour; -eol unix: \n; -: the text to stdout.
        process.arguments = ["-q", "-enc", "UTF-8", "-eol", "unix", path, "-"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ReaderUnavailable(description: "cannot run \(program): \(error)")
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
        // SIGKILL, not terminate()'s SIGTERM: a child spawned from a thread that blocks signals inherits the block.
        if more { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        if !more {
            switch (process.terminationReason, process.terminationStatus) {
            case (.exit, 0): break
            case (.exit, 3): throw TackError(.notText, "the PDF does not allow copying its text")
            case (.exit, _): throw TackError(.notText, "pdftotext cannot read the PDF (it is damaged or not a PDF)")
            case (.uncaughtSignal, let signal):
                throw TackError(.notText, "pdftotext stopped on signal \(signal) (the CPU or memory limit, or a crash)")
            @unknown default: throw TackError(.notText, "pdftotext stopped")
            }
        }
        // Pages are separated by form feeds: a line apart reads better and indexes the same. Other control bytes
        // (pdftotext writes them for glyphs of fonts without a Unicode map) become spaces: one odd font does not
        // make a whole PDF "not text".
        let bytes = Array(head).map { byte -> UInt8 in
            byte == 0x0C ? 0x0A : byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D ? 0x20 : byte
        }
        return try PlainTextExtractor.extract(bytes, complete: !more, limit: maxTextBytes)
    }
}
