import Foundation
import NIOCore
import NIOFileSystem
import TackCore
import TackStorage

/// One upload as the route (or the link importer) hands it over: where it goes and what the client promised.
struct Upload: Sendable {
    var room: RoomID
    var uploader: String
    /// Largest body accepted, in bytes.
    var limit: Int64
    /// The uploader's quota (their own, or the server's default).
    var quota: Int64
    /// The name from the request (header or query), already validated; a multipart body may carry its own.
    var name: String?
    var declaredType: String?
    /// SHA-256 the client promised for the bytes it sends (`Content-Digest`).
    var expectedDigest: ContentHash?
    var idempotencyKey: String?
    /// Sent by `tack shot` (`origin=screenshot`).
    var isScreenshot = false
    /// For linked files.
    var source: LinkSource?
    var versionOf: AttachmentID?
}

/// What an upload made.
struct UploadResult: Sendable {
    var attachment: Attachment
    /// SHA-256 of the bytes as received (differs from the attachment's when metadata was removed).
    var received: ContentHash
    /// False when the idempotency key had been used by an earlier try, whose attachment this is.
    var isNew: Bool
}

/// An upload from first byte to recorded attachment, one step per call, read top to bottom:
///
/// 1. `precheck`: refuse a declared size over the limit or the quota before reading a byte;
/// 2. the body as it will be stored (`ReceivedBody`: JPEG metadata removed as it streams);
/// 3. `stage`: hashed once, written and fsynced where nothing can see it yet (the blob store);
/// 4. `verify`: the client's `Content-Digest` against the bytes as received;
/// 5. `name`: the request's, the multipart part's, or one from the sniffed type;
/// 6. `record`: pin, publish at the content address, and one transaction for the attachment, the quota charge
///    and the idempotency key.
///
/// A failure at any step leaves nothing visible: staged bytes are discarded and pins released.
struct UploadPipeline: Sendable {
    let ingest: AttachmentIngest
    let catalog: any Catalog
    let stripMetadata: Bool
    /// Quota for users who have none of their own.
    let defaultQuota: Int64

    /// The quota that applies to `user` and what they use now.
    func quota(of user: String) async throws -> (quota: Int64, used: Int64) {
        let usage = try await catalog.usage(of: user) ?? Usage(usedBytes: 0, quotaBytes: nil)
        return (usage.quotaBytes ?? defaultQuota, usage.usedBytes)
    }

    /// Step 1: refuses what the request already says is too big, before a byte of the body is read. `used` is what
    /// `quota(of:)` said the uploader uses, read once with the quota `upload` carries. (The catalog's write checks the
    /// quota again, exactly, when the file is recorded.)
    func precheck(declaredLength: Int64?, framing: Int64, upload: Upload, used: Int64) throws {
        guard let declared = declaredLength else { return }
        if declared > upload.limit + framing {
            throw TackError(.tooLarge, "the file is \(declared) bytes; the limit is \(upload.limit) bytes")
        }
        let quota = upload.quota
        if declared - framing > quota - used {
            throw TackError(.quotaExceeded, "this \(declared)-byte upload would take you past your quota: \(used) of \(quota) bytes are used; delete attachments or ask an administrator for more")
        }
    }

    /// Steps 2 to 6 for `body`; `nameInBody` is read after the body, for multipart uploads that carry the name.
    func run<Body: AsyncSequence>(
        _ body: Body, _ upload: Upload, nameInBody: @Sendable () throws -> String? = { nil }
    ) async throws -> UploadResult where Body.Element == ByteBuffer {
        TackMetrics.uploadsInFlight.increment()
        defer { TackMetrics.uploadsInFlight.decrement() }
        let facts = ReceivedFacts()
        let staged = try await ingest.stage(
            ReceivedBody(base: body, stripMetadata: stripMetadata, facts: facts), limit: upload.limit)
        return try await finish(staged, received: facts.receivedDigest ?? staged.blob.hash,
                                stripped: facts.metadataStripped, upload, nameInBody: nameInBody)
    }

    /// Steps 2 to 6 for a complete local file (a finished resumable upload). Unless metadata must come out of it,
    /// the blob store takes the file's bytes as they are (a link on the same file system) instead of a copy.
    func run(file path: String, _ upload: Upload) async throws -> UploadResult {
        let prefix = try await ingest.prefix(of: path)
        // What would be stripped takes the streaming path that rewrites it.
        if stripMetadata, ReceivedBody<FileChunks>.mayStrip(firstByte: prefix.first) {
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                try await run(handle.readChunks(chunkLength: .mebibytes(1)), upload)
            }
        }
        TackMetrics.uploadsInFlight.increment()
        defer { TackMetrics.uploadsInFlight.decrement() }
        let staged = StagedUpload(blob: try await ingest.blobs.stage(file: path, limit: upload.limit), prefix: prefix)
        return try await finish(staged, received: staged.blob.hash, stripped: false, upload)
    }

    /// Steps 4 to 6, once the bytes are staged.
    private func finish(_ staged: StagedUpload, received: ContentHash, stripped: Bool, _ upload: Upload,
                        nameInBody: @Sendable () throws -> String? = { nil }) async throws -> UploadResult {
        TackMetrics.bytesReceived.increment(by: staged.blob.size)
        let attachment: AttachmentFacts
        do {
            try verify(received, against: upload.expectedDigest)
            attachment = try describe(upload, name: upload.name ?? nameInBody(), stripped: stripped)
        } catch {
            await ingest.discard(staged)
            throw error
        }
        let key = upload.idempotencyKey.map { UploadKey(key: $0, received: received) }
        switch try await ingest.record(staged, facts: attachment, quota: upload.quota, key: key) {
        case .stored(let stored):
            return UploadResult(attachment: stored, received: received, isNew: true)
        case .repeated(let earlier):
            return try await repeated(earlier, room: upload.room)
        }
    }

    /// Step 4.
    private func verify(_ received: ContentHash, against expected: ContentHash?) throws {
        if let expected, received != expected {
            throw TackError.invalid(.digestMismatch,
                                    "the body's SHA-256 is \(received.hex) but Content-Digest promised \(expected.hex); nothing was stored")
        }
    }

    /// Step 5.
    private func describe(_ upload: Upload, name: String?, stripped: Bool) throws -> AttachmentFacts {
        var facts = AttachmentFacts(room: upload.room, uploader: upload.uploader, name: name, declaredType: upload.declaredType)
        facts.metadataStripped = stripped
        facts.isScreenshot = upload.isScreenshot
        facts.source = upload.source
        facts.versionOf = upload.versionOf
        return facts
    }

    /// The answer for a key an earlier try recorded: its attachment, if it is still there and in this room.
    func repeated(_ earlier: IdempotentUpload, room: RoomID) async throws -> UploadResult {
        guard let attachment = try await catalog.attachment(earlier.attachment), attachment.room == room else {
            throw TackError(.idempotencyKeyReused,
                            "this Idempotency-Key was used for an upload that is gone or in another room; send a new key")
        }
        return UploadResult(attachment: attachment, received: earlier.received, isNew: false)
    }
}
