import Foundation
import TackCore
import TackImage
import TackText

/// Makes the thumbnail of a PDF's first page, a video's frame, a waveform or a HEIF image with `tackd preview` in a
/// worker process (see `WorkerProcess`), for ThumbnailService: the worker renders the picture and scales it with
/// tackd's own thumbnailer, so the renderer's output is read under the worker's limits too, and one process start
/// makes the thumbnail.
struct PreviewWorker: Sendable {
    let process: WorkerProcess
    /// Most pixels an image the worker decodes may declare (`max_image_pixels`), as for PNG and JPEG.
    let maxPixels: Int
    /// Threads ffmpeg may decode a video with (`preview_threads`).
    let threads: Int

    /// Writes the thumbnail of `size` by `method` to `output`, made from a picture `longSide` pixels on its longer
    /// side, and returns it with what the worker learned of the file (pages, size, length, codec), when it could.
    /// `TackError(.thumbnailFailed)` when the file is at fault (no retry would change it), another error when the
    /// worker could not do its work.
    func thumbnail(_ source: PreviewSource, of path: String, contentType: String, longSide: Int, size: Int,
                   method: ThumbnailMethod, to output: String) async throws -> (Thumbnail, MediaFacts?) {
        let request = PreviewRequest(input: path, output: output, format: source, contentType: contentType, size: longSide,
                                     maxPixels: maxPixels, thumbnail: size, method: method, threads: threads)
        let ending = try await process.run("preview", request.options, files: [request.input, request.output])
        if let signal = ending.signal { throw TackError(.thumbnailFailed, "the renderer \(process.stopped(on: signal))") }
        if ending.status == 4 {
            throw TackError(.internal, "tackd preview could not run its renderer: \(String(decoding: ending.output.prefix(500), as: UTF8.self))")
        }
        guard let answer = try? JSONDecoder().decode(PreviewWorkerAnswer.self, from: ending.output) else {
            throw TackError(.internal, "tackd preview answered with exit status \(ending.status) and no readable answer")
        }
        if let error = answer.error { throw TackError(.thumbnailFailed, error) }
        guard let made = answer.thumbnail, let format = ImageFormat(rawValue: made.format),
              let bytes = FileManager.default.contents(atPath: output) else {
            throw TackError(.internal, "tackd preview said it made a thumbnail, and none is there")
        }
        return (Thumbnail(bytes: Array(bytes), format: format, width: made.width, height: made.height,
                          sourceWidth: made.width, sourceHeight: made.height), answer.facts)
    }
}
