import Foundation
import TackCore
import TackText

/// Renders a PDF's first page, a video's frame, a waveform or a HEIF image with `tackd preview` in a worker process (see `WorkerProcess`), for
/// ThumbnailService.
struct PreviewWorker: Sendable {
    let process: WorkerProcess
    /// Most pixels an image the worker decodes may declare (`max_image_pixels`), as for PNG and JPEG.
    let maxPixels: Int

    /// Writes the picture to `output` (a `.ppm` path). `TackError(.thumbnailFailed)` when the file is at fault (no
    /// retry would change it), another error when the worker could not do its work.
    /// Returns what the worker learned of the file beside its picture (pages, size, length, codec), when it could.
    @discardableResult
    func render(_ source: PreviewSource, of path: String, contentType: String, longSide: Int, to output: String) async throws
        -> MediaFacts?
    {
        let ending = try await process.run(
            "preview", ["--format", source.rawValue, "--content-type", contentType, "--size", String(longSide),
                        "--max-pixels", String(maxPixels)], files: [path, output])
        if let signal = ending.signal { throw TackError(.thumbnailFailed, "the renderer \(process.stopped(on: signal))") }
        if ending.status == 4 {
            throw TackError(.internal, "tackd preview could not run its renderer: \(String(decoding: ending.output.prefix(500), as: UTF8.self))")
        }
        guard let answer = try? JSONDecoder().decode(PreviewWorkerAnswer.self, from: ending.output) else {
            throw TackError(.internal, "tackd preview answered with exit status \(ending.status) and no readable answer")
        }
        if let error = answer.error { throw TackError(.thumbnailFailed, error) }
        return answer.facts
    }
}
