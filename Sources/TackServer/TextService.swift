import Foundation
import Logging
import NIOCore
import TackCore
import TackStorage

/// Reads the text out of stored files so search finds them by what they say: in the background after an upload
/// (a durable job, like thumbnails), once per stored file however many rooms share it.
struct TextService: Sendable {
    let blobs: any BlobStore
    let catalog: any Catalog
    /// Bytes of text kept per file (`max_extract_bytes`).
    let maxBytes: Int
    /// Most text jobs queued at once; past it, a file's text is queued when someone asks for it.
    let maxQueued: Int
    /// Nudges this process's job runner when a job is queued.
    let jobs: JobSignal
    /// Reads the formats that go through C libraries, in a process of its own.
    let worker: TextWorker
    /// Which files are read (screenshots only while OCR is on).
    let reading: TextReading

    /// Queues reading a new attachment's text as a durable job, before the upload is answered. A failure to queue is
    /// logged, never thrown: the file is still stored and found by its name and messages.
    func prepare(_ attachment: Attachment) async {
        guard reading.format(of: attachment) != nil, attachment.text == nil else { return }
        do {
            if try await catalog.enqueueJob(.text, subject: attachment.id.rawValue, at: Date(), maxQueued: maxQueued) {
                TackMetrics.job(JobKind.text.rawValue, "queued")
                jobs.poke()
            }
        } catch {
            Logger(label: "tackd").warning("could not queue reading the text of \(attachment.id): \(error)")
        }
    }

    /// The job: reads the file's first `maxBytes` bytes and records their text (or why they have none) for every
    /// attachment of the same bytes. Bytes read before are not read again.
    func read(_ attachment: Attachment) async throws {
        guard let format = reading.format(of: attachment), try await catalog.text(of: attachment.sha256) == nil else { return }
        let text: BlobText
        do {
            let extracted: ExtractedText
            switch format {
            case .plain:
                // Pure Swift over at most maxBytes: read here.
                let head = try await firstBytes(of: attachment.sha256, count: Int(min(Int64(maxBytes), attachment.size)))
                extracted = try PlainTextExtractor.extract(head, complete: Int64(head.count) >= attachment.size, limit: maxBytes)
            case .officeOpenXML, .openDocument, .pdf, .screenshot:
                let (worker, maxBytes) = (self.worker, self.maxBytes)
                extracted = try await blobs.withLocalFile(attachment.sha256) { path in
                    try await worker.read(path, format: format, maxBytes: maxBytes)
                }
            }
            text = BlobText(info: TextInfo(failure: nil, characters: extracted.text.count, truncated: extracted.truncated),
                            text: extracted.text)
        } catch let error as TackError where error.code == ErrorCode.notText.rawValue {
            // The file is at fault: recorded, and no retry would change it.
            text = BlobText(info: TextInfo(failure: error.message, characters: 0, truncated: false), text: "")
        }
        try await catalog.recordText(attachment.sha256, text)
    }

    /// The first `count` bytes of a blob (at most its size): never more is held, whatever the file's size.
    private func firstBytes(of hash: ContentHash, count: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        guard count > 0 else { return bytes }
        try await blobs.read(hash, range: 0...Int64(count - 1)) { buffer in
            bytes.append(contentsOf: buffer.readableBytesView.prefix(count - bytes.count))
        }
        return bytes
    }
}
