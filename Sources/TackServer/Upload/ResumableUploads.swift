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
    let followUps: FollowUps
    let limits: Limits
    /// How long an upload lives after its creation or its latest chunk (`upload_expiry_seconds`).
    let lifetime: TimeInterval
    let locks = UploadLocks()
    /// What PATCHes to uploads of unknown length may still write in this process, so several of them at once cannot
    /// each spend the same remaining quota (an upload of known length holds its whole length already).
    let inFlight = InFlightBytes()

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
        /// The client's `Idempotency-Key`: a retried creation finds the upload the first one made, and the attachment
        /// is recorded under it, so a file the room has already is never added twice.
        var idempotencyKey: String?
    }

    /// Records a new upload and its empty file; refuses a declared length past the size limit or the quota. A
    /// creation whose key an unfinished upload already has answers with that upload; one whose key already made an
    /// attachment answers with an upload that is complete at once.
    func create(_ creation: Creation, at now: Date) async throws -> ResumableUpload {
        if let key = creation.idempotencyKey {
            if let earlier = try await catalog.resumableUpload(uploader: creation.uploader, idempotencyKey: key, at: now),
               earlier.room == creation.room {
                return earlier
            }
            if let earlier = try await catalog.idempotentUpload(user: creation.uploader, key: key) {
                let result = try await pipeline.repeated(earlier, room: creation.room)
                var upload = newUpload(creation, at: now)
                upload.length = result.attachment.size
                upload.offset = result.attachment.size
                upload.attachment = result.attachment.id
                try await catalog.createResumableUpload(upload)
                return upload
            }
        }
        if let length = creation.length { try await checkFits(length, uploader: creation.uploader, upload: nil) }
        var upload = newUpload(creation, at: now)
        try await parts.create(upload.id)
        do {
            try await catalog.createResumableUpload(upload)
        } catch {
            await parts.remove(upload.id)
            throw error
        }
        if upload.isFull {
            // An empty file is complete the moment it exists.
            upload.attachment = try await locks.holding(upload.id) { try await complete(upload) }
        }
        return upload
    }

    private func newUpload(_ creation: Creation, at now: Date) -> ResumableUpload {
        ResumableUpload(
            id: .make(), room: creation.room, uploader: creation.uploader, length: creation.length, name: creation.name,
            declaredType: creation.declaredType, message: creation.message, metadata: creation.metadata,
            isScreenshot: creation.isScreenshot, createdAt: now, expiresAt: now.addingTimeInterval(lifetime),
            idempotencyKey: creation.idempotencyKey)
    }

    /// The quota left for `upload` (a new one when nil): what attachments do not use, less what the uploader's
    /// other unfinished uploads hold, so many half-sent uploads can never fill more disk than the quota.
    private func quotaLeft(for uploader: String, upload: UploadID?) async throws -> (left: Int64, quota: Int64, used: Int64, reserved: Int64) {
        let (quota, used) = try await pipeline.quota(of: uploader)
        let reserved = try await catalog.reservedResumableBytes(of: uploader, excluding: upload, at: Date())
            + inFlight.bytes(of: uploader, excluding: upload)
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

    /// What one PATCH did: the upload as it stands, and whether its client went away mid-body.
    struct Appended: Sendable {
        var upload: ResumableUpload
        var interrupted: Bool
    }

    /// Appends one PATCH's bytes at `offset` (which must be where the upload stands) and, when they are the last,
    /// makes the attachment. `newLength` is a deferred length the PATCH declares.
    func append<Body: AsyncSequence>(
        _ body: Body, to upload: ResumableUpload, at offset: Int64, newLength: Int64?, declaredChunk: Int64?,
        checksum: TusChecksum?, now: @Sendable () -> Date = Date.init
    ) async throws -> Appended where Body.Element == ByteBuffer {
        try await locks.holding(upload.id) {
            // Read again under the lock: the caller's copy may predate a PATCH that just finished.
            guard var upload = try await catalog.resumableUpload(upload.id) else { throw TackError.notFound("upload") }
            guard upload.attachment == nil else {
                guard offset == upload.offset, declaredChunk ?? 0 == 0 else {
                    throw TackError(.offsetMismatch, "the upload is complete at \(upload.offset) bytes")
                }
                return Appended(upload: upload, interrupted: false)
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
            if length == nil { inFlight.add(min(limit, declaredChunk ?? limit), for: upload.uploader, upload: upload.id) }
            defer { if length == nil { inFlight.remove(upload.id, of: upload.uploader) } }
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
            return Appended(upload: upload, interrupted: appended.interruption != nil)
        }
    }

    /// Makes a full upload's bytes an attachment of its room (with its message), exactly once however often it is
    /// called: the attachment and the message are recorded under the upload's key (the client's, else one only this
    /// upload uses). Called with the upload's lock held.
    ///
    /// A file the pipeline refuses (metadata that cannot be removed, a quota used up meanwhile), or an uploader no
    /// longer in the room, ends the upload.
    private func complete(_ upload: ResumableUpload) async throws -> AttachmentID {
        guard let room = try await catalog.room(upload.room), AccessPolicy.canSee(room, as: upload.uploader) else {
            try await terminate(upload)
            throw TackError.notFound("upload")
        }
        let key = Self.completionKey(of: upload)
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
        if result.isNew { await followUps.prepare(result.attachment) }
        return result.attachment.id
    }

    /// The key the attachment and message of an upload are recorded under: the client's, else one with a space,
    /// which no client's Idempotency-Key can be.
    static func completionKey(of upload: ResumableUpload) -> String {
        upload.idempotencyKey ?? " tus \(upload.id.rawValue)"
    }

    /// Deletes an upload and its bytes; an attachment it already made stays. Called with the upload's lock held.
    func terminate(_ upload: ResumableUpload) async throws {
        _ = try await catalog.deleteResumableUpload(upload.id)
        await parts.remove(upload.id)
    }

    /// Termination at a client's request: refused (409) while a PATCH runs, which may be making the attachment.
    func terminateWhenIdle(_ upload: ResumableUpload) async throws {
        try await locks.holding(upload.id) { try await terminate(upload) }
    }

    /// What one sweep did.
    struct SweepReport: Sendable, Equatable {
        var expired = 0
        var completed = 0
        /// Files whose upload is gone (ended or expired by another instance sharing the catalog).
        var orphans = 0
        /// Uploads that could not be looked after this time, with why; the next sweep tries again.
        var failures: [String] = []
    }

    /// Deletes expired uploads and finishes full ones that never became attachments (tackd stopped in between).
    /// An upload a PATCH is working on is left for the next sweep, and one that fails does not hold up the others.
    func sweep(at now: Date) async throws -> SweepReport {
        var report = SweepReport()
        for listed in try await catalog.resumableUploadsToSweep(at: now, limit: 1000) {
            do {
                try await locks.ifFree(listed.id) {
                    // Read again under the lock: a PATCH that ended since the listing may have pushed the expiry on.
                    guard let upload = try await catalog.resumableUpload(listed.id) else { return }
                    if upload.expiresAt <= now {
                        try await terminate(upload)
                        report.expired += 1
                    } else if upload.isFull, upload.attachment == nil, await parts.holds(upload.id) {
                        _ = try await complete(upload)
                        report.completed += 1
                    }
                }
            } catch {
                report.failures.append("\(listed.id): \((error as? TackError)?.message ?? "\(error)")")
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

/// Bytes PATCHes under way may still write, by uploader: a reservation held for as long as a PATCH streams.
final class InFlightBytes: Sendable {
    private let reserved = Mutex<[String: [UploadID: Int64]]>([:])

    func add(_ bytes: Int64, for uploader: String, upload: UploadID) {
        reserved.withLock { $0[uploader, default: [:]][upload] = bytes }
    }

    func remove(_ upload: UploadID, of uploader: String) {
        reserved.withLock { all in
            all[uploader]?[upload] = nil
            if all[uploader]?.isEmpty == true { all[uploader] = nil }
        }
    }

    func bytes(of uploader: String, excluding upload: UploadID?) -> Int64 {
        reserved.withLock { all in
            (all[uploader] ?? [:]).reduce(0) { $0 + ($1.key == upload ? 0 : $1.value) }
        }
    }
}
