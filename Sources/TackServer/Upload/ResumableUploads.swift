import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TackCore
import TackStorage

/// tus uploads from creation to attachment: chunks appended and synced before they are acknowledged, the full file
/// handed to the same `UploadPipeline` as a single-request upload, and expired or stranded uploads looked after.
struct ResumableUploads: Sendable {
    let catalog: any Catalog
    let parts: UploadParts
    let pipeline: UploadPipeline
    let thumbnails: ThumbnailService
    let limits: Limits
    /// How long an upload lives after its creation or its latest chunk (`upload_expiry_seconds`).
    let lifetime: TimeInterval
    let locks = UploadLocks()

    /// What a client asks for when it creates an upload.
    struct Creation: Sendable {
        var room: RoomID
        var uploader: String
        var length: Int64?
        var metadata: String
        var name: String?
        var declaredType: String?
        var message: String?
        var isScreenshot: Bool
    }

    /// Records a new upload and its empty file; refuses a declared length past the size limit or the quota.
    func create(_ creation: Creation, at now: Date) async throws -> ResumableUpload {
        if let length = creation.length { try await checkFits(length, uploader: creation.uploader, upload: nil) }
        let upload = ResumableUpload(
            id: .make(), room: creation.room, uploader: creation.uploader, length: creation.length, name: creation.name,
            declaredType: creation.declaredType, message: creation.message, metadata: creation.metadata,
            isScreenshot: creation.isScreenshot, createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
        try await parts.create(upload.id)
        do {
            try await catalog.createResumableUpload(upload)
        } catch {
            await parts.remove(upload.id)
            throw error
        }
        return upload
    }

    /// The quota left for `upload` (a new one when nil): what attachments do not use, less what the uploader's
    /// other unfinished uploads hold, so many half-sent uploads can never fill more disk than the quota.
    private func quotaLeft(for uploader: String, upload: UploadID?) async throws -> (left: Int64, quota: Int64, used: Int64, reserved: Int64) {
        let (quota, used) = try await pipeline.quota(of: uploader)
        let reserved = try await catalog.reservedResumableBytes(of: uploader, excluding: upload, at: Date())
        return (quota - used - reserved, quota, used, reserved)
    }

    private func checkFits(_ length: Int64, uploader: String, upload: UploadID?) async throws {
        if length > limits.maxUploadBytes {
            throw TackError(.tooLarge, "the file is \(length) bytes; the limit is \(limits.maxUploadBytes) bytes")
        }
        let quota = try await quotaLeft(for: uploader, upload: upload)
        if length > quota.left {
            throw quotaExceeded(length, quota)
        }
    }

    private func quotaExceeded(_ bytes: Int64, _ quota: (left: Int64, quota: Int64, used: Int64, reserved: Int64)) -> TackError {
        TackError(.quotaExceeded, "these \(bytes) bytes would take you past your quota: \(quota.used) of \(quota.quota) bytes are used"
                  + (quota.reserved > 0 ? " and \(quota.reserved) are held by your unfinished uploads (end them with DELETE)" : ""))
    }

    /// Appends one PATCH's bytes at `offset` (which must be where the upload stands) and, when they are the last,
    /// makes the attachment. `newLength` is a deferred length the PATCH declares.
    func append<Body: AsyncSequence>(
        _ body: Body, to upload: ResumableUpload, at offset: Int64, newLength: Int64?, declaredChunk: Int64?,
        checksum: TusChecksum?, now: @Sendable () -> Date = Date.init
    ) async throws -> ResumableUpload where Body.Element == ByteBuffer {
        try await locks.holding(upload.id) {
            // Read again under the lock: the caller's copy may predate a PATCH that just finished.
            guard var upload = try await catalog.resumableUpload(upload.id) else { throw TackError.notFound("upload") }
            guard upload.attachment == nil else {
                guard offset == upload.offset, declaredChunk ?? 0 == 0 else {
                    throw TackError(.offsetMismatch, "the upload is complete at \(upload.offset) bytes")
                }
                return upload
            }
            guard offset == upload.offset else {
                throw TackError(.offsetMismatch, "the upload stands at \(upload.offset) bytes, not \(offset); ask with HEAD and send from there")
            }
            if let newLength {
                if let length = upload.length, length != newLength {
                    throw TackError.invalid(.invalidTusHeader, "Upload-Length was set to \(length) bytes at creation and cannot change")
                }
                guard newLength >= offset else {
                    throw TackError.invalid(.invalidTusHeader, "Upload-Length \(newLength) is less than the \(offset) bytes already sent")
                }
                try await checkFits(newLength, uploader: upload.uploader, upload: upload.id)
            }
            let length = upload.length ?? newLength
            // Bytes past the length, the size limit or what is left of the quota are refused as they arrive.
            let quota = try await quotaLeft(for: upload.uploader, upload: upload.id)
            let byLength = (length ?? limits.maxUploadBytes) - offset
            let byQuota = quota.left - offset
            let limit = max(0, min(byLength, byQuota))
            let quotaError = quotaExceeded(byLength, quota)
            let tooLarge: @Sendable (Int64) -> any Error = { _ in
                byQuota < byLength
                    ? quotaError
                    : TackError(.tooLarge, length == nil
                        ? "the upload is larger than the limit of \(limits.maxUploadBytes) bytes"
                        : "the chunk goes past Upload-Length (\(length!) bytes)")
            }
            if let declaredChunk, declaredChunk > limit { throw tooLarge(limit) }
            let appended = try await parts.append(
                body, to: upload.id, at: offset, limit: limit, checksum: checksum, tooLarge: tooLarge)
            TackMetrics.resumableBytesReceived.increment(by: appended.count)
            let moved = try await catalog.advanceResumableUpload(
                upload.id, from: offset, to: offset + appended.count, length: newLength,
                expiresAt: now().addingTimeInterval(lifetime))
            guard moved else { throw TackError(.offsetMismatch, "another request moved the upload on; ask with HEAD") }
            upload.offset += appended.count
            upload.length = length
            upload.expiresAt = now().addingTimeInterval(lifetime)
            if upload.isFull {
                Failpoint.hit("tus-full")
                upload.attachment = try await complete(upload)
            }
            return upload
        }
    }

    /// Makes a full upload's bytes an attachment of its room (with its message), exactly once however often it is
    /// called: the attachment and the message are recorded under a key only this upload uses.
    ///
    /// A file the pipeline refuses (metadata that cannot be removed, a quota used up meanwhile) ends the upload.
    private func complete(_ upload: ResumableUpload) async throws -> AttachmentID {
        let key = Self.idempotencyKey(of: upload.id)
        let result: UploadResult
        if let earlier = try await catalog.idempotentUpload(user: upload.uploader, key: key) {
            result = try await pipeline.repeated(earlier, room: upload.room)
        } else {
            let (quota, _) = try await pipeline.quota(of: upload.uploader)
            var request = Upload(
                room: upload.room, uploader: upload.uploader, limit: limits.maxUploadBytes, quota: quota,
                name: upload.name, declaredType: upload.declaredType, idempotencyKey: key)
            request.isScreenshot = upload.isScreenshot
            do {
                result = try await pipeline.run(file: parts.path(of: upload.id).string, request)
            } catch let error as TackError where [.invalidInput, .tooLarge, .unsupportedMediaType].contains(error.category) {
                try await terminate(upload)
                throw error
            }
        }
        if let text = upload.message, !text.isEmpty {
            _ = try await catalog.insertMessage(
                id: .make(), room: upload.room, author: upload.uploader, text: text,
                attachments: [result.attachment.id], at: Date(), key: key)
        }
        try await catalog.completeResumableUpload(upload.id, attachment: result.attachment.id)
        await parts.remove(upload.id)
        if result.isNew { await thumbnails.prepare(result.attachment) }
        return result.attachment.id
    }

    /// The key the attachment and message of an upload are recorded under; it has a space, so no client's
    /// Idempotency-Key can be it.
    static func idempotencyKey(of id: UploadID) -> String { " tus \(id.rawValue)" }

    /// Deletes an upload and its bytes; an attachment it already made stays.
    func terminate(_ upload: ResumableUpload) async throws {
        _ = try await catalog.deleteResumableUpload(upload.id)
        await parts.remove(upload.id)
    }

    /// What one sweep did.
    struct SweepReport: Sendable, Equatable {
        var expired = 0
        var completed = 0
        /// Files whose upload is gone (ended or expired by another instance sharing the catalog).
        var orphans = 0
    }

    /// Deletes expired uploads and finishes full ones that never became attachments (tackd stopped in between).
    /// An upload a PATCH is working on is left for the next sweep.
    func sweep(at now: Date) async throws -> SweepReport {
        var report = SweepReport()
        for upload in try await catalog.resumableUploadsToSweep(at: now, limit: 1000) {
            try await locks.ifFree(upload.id) {
                if upload.expiresAt <= now {
                    try await terminate(upload)
                    report.expired += 1
                } else if await parts.holds(upload.id) {
                    _ = try await complete(upload)
                    report.completed += 1
                }
            }
        }
        // A file untouched for a whole lifetime belongs to no live upload: every PATCH pushes the expiry on.
        for id in parts.files(untouchedSince: now.addingTimeInterval(-lifetime)) where try await catalog.resumableUpload(id) == nil {
            try await locks.ifFree(id) {
                await parts.remove(id)
                report.orphans += 1
            }
        }
        return report
    }
}

/// Which uploads a PATCH (or a sweep) is working on in this process: a second PATCH to the same upload is refused
/// at once rather than left to interleave its bytes with the first's.
final class UploadLocks: Sendable {
    private let held = Mutex<Set<UploadID>>([])

    private func take(_ id: UploadID) -> Bool { held.withLock { $0.insert(id).inserted } }
    private func release(_ id: UploadID) { _ = held.withLock { $0.remove(id) } }

    func holding<T: Sendable>(_ id: UploadID, _ body: () async throws -> T) async throws -> T {
        guard take(id) else {
            throw TackError(.uploadBusy, "another request is sending bytes to this upload; wait for it, then ask with HEAD")
        }
        defer { release(id) }
        return try await body()
    }

    /// Runs `body` unless the upload is held; does nothing when it is.
    func ifFree(_ id: UploadID, _ body: () async throws -> Void) async throws {
        guard take(id) else { return }
        defer { release(id) }
        try await body()
    }
}
