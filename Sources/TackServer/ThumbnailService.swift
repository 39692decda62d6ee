import Dispatch
import Foundation
import Logging
import NIOCore
import TackCore
import TackImage
import TackStorage

/// Makes, stores and finds thumbnails: in the background after an image, PDF or video upload, or on the first request,
/// and only once per (source bytes, size, method) however many requests ask at the same time.
actor ThumbnailService {
    struct Key: Hashable {
        let source: ContentHash
        let size: Int
        let method: ThumbnailMethod
        let preview: PreviewSource
        /// The file's type, for the worker that renders a video's frame (its demuxer is chosen by it).
        let contentType: String
    }

    let blobs: any BlobStore
    let catalog: any Catalog
    let thumbnailer: Thumbnailer
    /// Renders PDFs' first pages and videos' frames, in a worker process.
    let previews: PreviewWorker
    /// The sizes clients may ask for; the first is made in the background after each upload.
    let sizes: [Int]
    /// Most background jobs queued at once; past it, an upload's thumbnail is made on its first request instead,
    /// so a burst of uploads queues a bounded amount of work.
    let maxQueued: Int
    /// Nudges this process's job runner when a job is queued.
    let jobs: JobSignal
    /// Whether the background thumbnail of a PNG also measures whether it looks like text (while OCR is on:
    /// nothing else asks).
    let measuresText: Bool
    private var inFlight: [Key: Task<StoredThumbnail, any Error>] = [:]
    /// Decoding is CPU-bound and each decode already spreads its resize over the cores: one at a time, off the
    /// cooperative pool.
    private let workers = SerialGate()

    init(blobs: any BlobStore, catalog: any Catalog, thumbnailer: Thumbnailer, previews: PreviewWorker, sizes: [Int],
         maxQueued: Int, measuresText: Bool, jobs: JobSignal = JobSignal()) {
        self.blobs = blobs
        self.catalog = catalog
        self.thumbnailer = thumbnailer
        self.previews = previews
        self.sizes = sizes
        self.maxQueued = maxQueued
        self.measuresText = measuresText
        self.jobs = jobs
    }

    /// Queues the default thumbnail of a new upload as a durable job, before the upload is answered: it is made
    /// even if this process dies first. A failure to queue is logged, never thrown; the first request makes it.
    nonisolated func prepare(_ attachment: Attachment) async {
        guard attachment.isThumbnailable, attachment.image?.failure == nil else { return }
        do {
            if try await catalog.enqueueJob(.thumbnail, subject: attachment.id.rawValue, at: Date(), maxQueued: maxQueued) {
                TackMetrics.job(JobKind.thumbnail.rawValue, "queued")
                jobs.poke()
            }
        } catch {
            Logger(label: "tackd").warning("could not queue the thumbnail of \(attachment.id): \(error)")
        }
    }

    /// The default thumbnail (the first size, scaled), as the background job makes it.
    nonisolated func makeDefault(of attachment: Attachment) async throws -> StoredThumbnail? {
        guard let size = sizes.first else { return nil }
        return try await thumbnail(of: attachment, size: size, method: .scale)
    }

    /// The stored thumbnail, made now if it does not exist yet. Finding a stored one never waits on the actor: a
    /// gallery's many requests run side by side, and only making a thumbnail is serialised.
    nonisolated func thumbnail(of attachment: Attachment, size: Int, method: ThumbnailMethod) async throws -> StoredThumbnail {
        guard let preview = attachment.previewSource else {
            throw TackError(.notAnImage, "only images (PNG, JPEG, GIF, WebP, HEIC, AVIF), PDFs, videos (MP4, MOV, WebM, MKV) and recordings have thumbnails")
        }
        guard sizes.contains(size) else {
            throw TackError.invalid(.invalidSize, "thumbnail sizes are \(sizes.map(String.init).joined(separator: ", "))")
        }
        // The attachment was read with what thumbnailing learned; a known failure is not retried.
        if let failure = attachment.image?.failure {
            throw TackError(.thumbnailFailed, "this file cannot be thumbnailed: \(failure)")
        }
        if let stored = try await catalog.thumbnail(of: attachment.sha256, size: size, method: method.rawValue) {
            return stored
        }
        return try await made(Key(source: attachment.sha256, size: size, method: method, preview: preview,
                                  contentType: attachment.contentType))
    }

    /// Makes the thumbnail, or waits for the request already making it.
    private func made(_ key: Key) async throws -> StoredThumbnail {
        if let running = inFlight[key] { return try await running.value }
        // Another request may have finished it while this one waited for the actor.
        if let stored = try await catalog.thumbnail(of: key.source, size: key.size, method: key.method.rawValue) {
            return stored
        }
        if let running = inFlight[key] { return try await running.value }
        let task = Task { try await self.make(key) }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        return try await task.value
    }

    private func make(_ key: Key) async throws -> StoredThumbnail {
        let thumbnailer = self.thumbnailer
        let previews = self.previews
        let blobs = self.blobs
        let started = ContinuousClock.now
        defer { TackMetrics.thumbnailDuration.recordNanoseconds(Int64((ContinuousClock.now - started).seconds * 1e9)) }
        // Once per PNG: with the background job's thumbnail, from the file it has open anyway. Not JPEGs: nearly all
        // are photos, and each would pay a second, larger decode to learn so.
        let measuresText = measuresText && key.preview == .image && key.contentType == "image/png"
            && key.size == sizes.first && key.method == .scale
        let result: Result<(thumbnail: Thumbnail, facts: MediaFacts?, looksLikeText: Bool?), TackError> = try await workers.run {
            // The decoder reads the blob's file as it goes, only once this job's turn has come: neither waiting
            // jobs nor the running one hold the source in memory, and memory follows the thumbnail, not the image.
            try await blobs.withLocalFile(key.source) { path in
                switch key.preview {
                case .image:
                    return await Self.thumbnail { () throws(TackError) in
                        let thumbnail = try thumbnailer.thumbnail(ofFileAt: path, size: key.size, method: key.method)
                        // A second, larger decode: at the thumbnail's size glyphs are a pixel or two tall.
                        return (thumbnail, nil, measuresText ? try thumbnailer.textLikeness(ofFileAt: path).looksLikeText : nil)
                    }
                case .pdfPage, .videoFrame, .waveform, .heifImage:
                    // A folder of its own for each job, removed whatever happens to the worker: what its renderers write
                    // beside the picture (heif-convert's decoded images) goes with it.
                    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tackd-preview-\(UUID().uuidString)").path
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false,
                                                            attributes: [.posixPermissions: 0o700])
                    defer { try? FileManager.default.removeItem(atPath: folder) }
                    do {
                        let (thumbnail, facts) = try await previews.thumbnail(
                            key.preview, of: path, contentType: key.contentType, longSide: Self.pictureSide(for: key),
                            size: key.size, method: key.method, to: folder + "/thumbnail")
                        return .success((thumbnail, facts, nil))
                    } catch let error as TackError where error.code == ErrorCode.thumbnailFailed.rawValue {
                        return .failure(error)
                    }
                }
            }
        }
        let thumbnail: Thumbnail
        let facts: MediaFacts?
        let looksLikeText: Bool?
        switch result {
        case .success(let made):
            (thumbnail, facts, looksLikeText) = made
        case .failure(let error):
            try await catalog.recordImage(key.source, info: ImageInfo(width: nil, height: nil, failure: error.message))
            throw TackError(.thumbnailFailed, "this file cannot be thumbnailed: \(error.message)")
        }
        let staged = try await blobs.stage(
            [ByteBuffer(bytes: thumbnail.bytes)].async, limit: Int64(thumbnail.bytes.count), expected: nil)
        let stored = StoredThumbnail(
            source: key.source, size: key.size, method: key.method.rawValue, blob: staged.hash,
            contentType: thumbnail.format == .png ? "image/png" : "image/jpeg", width: thumbnail.width, height: thumbnail.height)
        let catalog = catalog
        try await BlobPublication(blobs: blobs, catalog: catalog).publish(staged) { pin in
            try await catalog.insertThumbnail(stored, releasing: pin)
        }
        // Recorded once the thumbnail is: a client told "ready" (an attachment's state, a live event) finds it stored.
        // A picture rendered of a file says only what tackd asked for: the file's own size (a video's), pages and
        // length are what the worker read of it.
        let image = key.preview == .image
        try await catalog.recordImage(key.source, info: ImageInfo(
            width: image ? thumbnail.sourceWidth : facts?.width, height: image ? thumbnail.sourceHeight : facts?.height,
            failure: nil, pages: facts?.pages, durationMilliseconds: facts?.durationMilliseconds, codec: facts?.codec,
            looksLikeText: looksLikeText))
        return try await catalog.thumbnail(of: key.source, size: key.size, method: key.method.rawValue) ?? stored
    }
}

extension ThumbnailService {
    /// How large the worker draws the picture a thumbnail is made of, on its longer side: the size itself to scale
    /// (poppler draws a page at any size as sharply, and ffmpeg scales a frame as it decodes it: drawing a PDF's page
    /// at 640 px for a 320 px thumbnail took about a tenth longer, `tackd preview --size 640 --thumbnail 320`); twice
    /// the size to crop, so a square cut from a tall page or a wide frame still has its pixels.
    static func pictureSide(for key: Key) -> Int {
        min(key.method == .crop ? 2 * key.size : key.size, 4096)
    }

    /// Decodes and scales on a Dispatch thread: CPU-bound work kept off the cooperative pool.
    private static func thumbnail<Made: Sendable>(_ make: @escaping @Sendable () throws(TackError) -> Made) async -> Result<Made, TackError> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(TackError) {
                    continuation.resume(returning: .success(try make()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence, for APIs that stream.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
