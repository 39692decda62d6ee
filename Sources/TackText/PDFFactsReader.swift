import Foundation
import TackCore
import TackSpawn

/// Reads a PDF's page count with `pdfinfo`, beside the first page that pdftoppm draws in the same preview worker.
/// Best effort: a PDF whose pages cannot be counted still has its picture, so every failure here is nil, never an
/// error. (A video's or a recording's facts come from the ffmpeg run that draws it: `FFmpegLog`.)
public struct PDFFactsReader: Sendable {
    public var pdfinfo: String

    public init(pdfinfo: String = "/usr/bin/pdfinfo") { self.pdfinfo = pdfinfo }

    /// The facts of the PDF at `path`.
    public func facts(of path: String) -> MediaFacts? {
        Self.output(of: pdfinfo, ["--", path]).flatMap { MediaFacts.pdfPages(fromPDFInfo: String(decoding: $0, as: UTF8.self)) }
            .map { MediaFacts(pages: $0) }
    }

    /// What `program` printed on stdout (at most 64 KiB), when it ended well; it runs in the worker's process group.
    static func output(of program: String, _ arguments: [String]) -> [UInt8]? {
        guard FileManager.default.isExecutableFile(atPath: program) else { return nil }
        let output = Pipe()
        guard let process = try? ChildProcess.run(program, arguments, environment: ["LANG": "C.UTF-8"], input: .null,
                                                  output: .pipe(output), error: .null, newProcessGroup: false)
        else { return nil }
        // The page count is read beside the picture, which the thumbnail waits for: the renderer gets the cores
        // first, and pdfinfo the time the renderer leaves.
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(process.processIdentifier), 10)
        let kept = output.drain(keepingFirst: 64 * 1024)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else { return nil }
        return Array(kept)
    }
}
