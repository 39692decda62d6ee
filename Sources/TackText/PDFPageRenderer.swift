import Foundation
import TackCore

/// Renders a PDF's first page to a PPM with poppler's `pdftoppm`, for the file's thumbnails (raw pixels: encoding a
/// PNG took pdftoppm three times as long as drawing the page). It runs inside the
/// `tackd preview` worker, whose resource limits and process group it shares.
public struct PDFPageRenderer: Sendable {
    public var program: String

    public init(program: String = "/usr/bin/pdftoppm") {
        self.program = program
    }

    /// Writes page 1 of `path` to `output` (a path ending in `.ppm`), `longSide` pixels on its longer side.
    /// Throws `TackError(.thumbnailFailed)` when the file is at fault, `ProgramTextReader.ReaderUnavailable` when
    /// pdftoppm cannot run.
    public func renderFirstPage(of path: String, longSide: Int, to output: String) throws {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ProgramTextReader.ReaderUnavailable(description: "\(program) is missing (apt install poppler-utils)")
        }
        guard output.hasSuffix(".ppm") else { preconditionFailure("pdftoppm adds .ppm itself: \(output)") }
        // -singlefile: the name is exactly OUTPUT-ROOT.ppm, with no page number.
        let run = try ReaderRun(program, ["-singlefile", "-f", "1", "-l", "1", "-scale-to", String(longSide), path,
                                          String(output.dropLast(4))])
        switch (run.reason, run.status) {
        case (.exit, 0) where FileManager.default.fileExists(atPath: output):
            return
        case (.exit, 3):
            throw TackError(.thumbnailFailed, "the PDF does not allow its pages to be rendered")
        case (.exit, let status), (.lost, let status):
            throw TackError(.thumbnailFailed, "pdftoppm cannot render the first page (exit \(status)\(run.firstLine.map { ": \($0)" } ?? ""))")
        case (.uncaughtSignal, let signal):
            throw TackError(.thumbnailFailed, "pdftoppm stopped on signal \(signal) (the CPU or memory limit, or a crash)")
        }
    }
}

/// What `tackd preview` prints: what it learned of the file when the picture was written, or why it was not.
public struct PreviewWorkerAnswer: Codable, Sendable, Equatable {
    public var error: String?
    public var facts: MediaFacts?
    /// What was written when a thumbnail was asked for (`tackd preview --thumbnail`).
    public var thumbnail: Made?

    /// A thumbnail the worker wrote: its format (`jpeg`, `png`) and size.
    public struct Made: Codable, Sendable, Equatable {
        public var format: String
        public var width: Int
        public var height: Int

        public init(format: String, width: Int, height: Int) {
            self.format = format
            self.width = width
            self.height = height
        }
    }

    public init(error: String?, facts: MediaFacts? = nil, thumbnail: Made? = nil) {
        self.error = error
        self.facts = facts
        self.thumbnail = thumbnail
    }
}
