import Foundation
import TackCore

/// Catalog rows made into domain values, the same for SQLite's rows and PostgreSQL's (both read as `CatalogColumns`).
enum CatalogRows {
    // What both catalogs select: the same columns, so the same mapping reads their rows.

    /// Every attachment query selects these, with what thumbnailing learned joined in (one lookup by primary key per
    /// row, where four correlated subqueries used to be).
    static let attachmentColumns = """
        a.seq, a.id, a.room_id, a.name, a.size, a.content_type, a.sha256, a.uploader, a.created_at,
        a.source_provider, a.source_url, a.fetched_at, a.etag, a.last_modified, a.version_of, a.metadata_stripped,
        a.screenshot, i.sha256 IS NOT NULL AS has_image, i.width AS image_width, i.height AS image_height, i.failure AS image_failure,
        i.pages AS image_pages, i.duration_ms AS image_duration_ms, i.codec AS image_codec,
        i.looks_like_text AS image_looks_like_text,
        x.sha256 IS NOT NULL AS has_text, x.reason AS text_failure, x.characters AS text_characters, x.truncated AS text_truncated
        """
    /// The tables `attachmentColumns` read besides `attachments a`: the facts about its bytes.
    static let attachmentFacts = "LEFT JOIN images i ON i.sha256 = a.sha256 LEFT JOIN blob_texts x ON x.sha256 = a.sha256"
    static let selectAttachments = "SELECT \(attachmentColumns) FROM attachments a \(attachmentFacts)"
    static let resumableUploadColumns = """
        id, room_id, uploader, length, received, name, content_type, message, metadata, screenshot, created_at,
        expires_at, attachment_id, idempotency_key
        """

    static func attachment(_ row: some CatalogColumns) throws -> Attachment {
        let hex = try row.text("sha256")
        guard let hash = ContentHash(hex: hex) else {
            throw TackError(.corruptCatalog, "attachment row has a malformed sha256 '\(hex)'")
        }
        var attachment = Attachment(
            id: AttachmentID(rawValue: try row.text("id")),
            room: RoomID(rawValue: try row.text("room_id")),
            name: try row.text("name"),
            size: try row.int64("size"),
            contentType: try row.text("content_type"),
            sha256: hash,
            uploader: try row.text("uploader"),
            createdAt: Date(millis: try row.int64("created_at")),
            source: row.optionalText("source_url").map { url in
                LinkSource(provider: row.optionalText("source_provider") ?? "https", url: url,
                           fetchedAt: Date(millis: Int64(row.optionalInt("fetched_at") ?? 0)),
                           etag: row.optionalText("etag"),
                           lastModified: row.optionalText("last_modified"))
            },
            versionOf: row.optionalText("version_of").map { AttachmentID(rawValue: $0) },
            image: try row.int64("has_image") == 0 ? nil : ImageInfo(
                width: row.optionalInt("image_width"),
                height: row.optionalInt("image_height"),
                failure: row.optionalText("image_failure"), pages: row.optionalInt("image_pages"),
                durationMilliseconds: row.optionalInt("image_duration_ms").map(Int64.init), codec: row.optionalText("image_codec"),
                looksLikeText: row.optionalInt("image_looks_like_text").map { $0 != 0 }))
        attachment.metadataStripped = try row.int64("metadata_stripped") != 0
        attachment.isScreenshot = try row.int64("screenshot") != 0
        if try row.int64("has_text") != 0 {
            attachment.text = TextInfo(failure: row.optionalText("text_failure"), characters: row.optionalInt("text_characters") ?? 0,
                                       truncated: (row.optionalInt("text_truncated") ?? 0) != 0)
        }
        return attachment
    }

    /// A message row without its attachments.
    static func message(_ row: some CatalogColumns) throws -> Message {
        Message(id: MessageID(rawValue: try row.text("id")), room: RoomID(rawValue: try row.text("room_id")),
                author: try row.text("author"), text: try row.text("text"), attachments: [],
                createdAt: Date(millis: try row.int64("created_at")))
    }

    static func removedAttachment(_ row: some CatalogColumns) throws -> RemovedAttachment {
        let reason = try row.text("reason")
        return RemovedAttachment(
            id: AttachmentID(rawValue: try row.text("attachment_id")), name: try row.text("name"),
            reason: RemovedAttachment.Reason(rawValue: reason) ?? .deleted, removedAt: Date(millis: try row.int64("removed_at")))
    }

    static func room(_ row: some CatalogColumns) throws -> Room {
        let members = row.optionalText("members")?.split(separator: "\n").map(String.init).sorted() ?? []
        return Room(id: RoomID(rawValue: try row.text("id")), name: try row.text("name"), creator: try row.text("creator"),
                    members: members, createdAt: Date(millis: try row.int64("created_at")),
                    retentionDays: row.optionalInt("retention_days"))
    }

    static func resumableUpload(_ row: any CatalogColumns) throws -> ResumableUpload {
        ResumableUpload(
            id: UploadID(rawValue: try row.text("id")), room: RoomID(rawValue: try row.text("room_id")),
            uploader: try row.text("uploader"), length: row.optionalInt("length").map(Int64.init),
            offset: try row.int64("received"), name: row.optionalText("name"), declaredType: row.optionalText("content_type"),
            message: row.optionalText("message"), metadata: try row.text("metadata"),
            isScreenshot: try row.int64("screenshot") != 0, createdAt: Date(millis: try row.int64("created_at")),
            expiresAt: Date(millis: try row.int64("expires_at")),
            attachment: row.optionalText("attachment_id").map(AttachmentID.init(rawValue:)),
            idempotencyKey: row.optionalText("idempotency_key"))
    }
}

extension CatalogRows {
    static func user(_ row: some CatalogColumns) throws -> User {
        let roleText = try row.text("role")
        guard let role = Role(rawValue: roleText) else {
            throw TackError(.corruptCatalog, "user row has unknown role '\(roleText)'")
        }
        return User(name: try row.text("name"), role: role, createdAt: Date(millis: try row.int64("created_at")))
    }

    static func job(_ row: some CatalogColumns) throws -> Job {
        let kind = try row.text("kind")
        let state = try row.text("state")
        guard let jobKind = JobKind(rawValue: kind), let jobState = JobState(rawValue: state) else {
            throw TackError(.corruptCatalog, "the jobs table holds a \(state) job of unknown kind \(kind)")
        }
        return Job(
            id: try row.int64("id"), kind: jobKind, subject: try row.text("subject"), state: jobState,
            attempts: Int(try row.int64("attempts")), runAfter: Date(millis: try row.int64("run_after")),
            leaseOwner: row.optionalText("lease_owner"),
            leaseUntil: row.optionalInt("lease_until").map { Date(millis: Int64($0)) },
            lastError: row.optionalText("last_error"), createdAt: Date(millis: try row.int64("created_at")))
    }
}
