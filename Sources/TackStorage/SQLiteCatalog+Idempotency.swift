import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: uploads and messages remembered by their Idempotency-Key.
extension SQLiteCatalog {
    public func idempotentUpload(user: String, key: String) async throws -> IdempotentUpload? {
        guard let row = try await read("""
            SELECT attachment_id, received_sha256 FROM upload_keys WHERE user_name = \(bind: user) AND key = \(bind: key)
            """).first() else { return nil }
        let id = try row.decode(column: "attachment_id", as: String.self)
        guard let received = ContentHash(hex: try row.decode(column: "received_sha256", as: String.self)) else { return nil }
        return IdempotentUpload(attachment: AttachmentID(rawValue: id), received: received)
    }

    public func idempotentMessage(user: String, key: String) async throws -> Message? {
        guard var message = try await readIndexed("""
            SELECT m.id, m.room_id, m.author, m.text, m.created_at FROM message_keys k JOIN messages m ON m.id = k.message_id
            WHERE k.user_name = ? AND k.key = ?
            """, [.text(user), .text(key)], row: { try CatalogRows.message($0) }).first else { return nil }
        message.attachments = try await attachments(ofMessage: message.id)
        message.removed = try await removedAttachments(ofMessage: message.id)
        return message
    }
}
