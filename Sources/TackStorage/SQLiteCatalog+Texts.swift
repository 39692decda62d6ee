import Foundation
import SQLiteKit
import TackCore

/// SQLiteCatalog: the text read out of stored files, for search.
extension SQLiteCatalog {
    public func recordText(_ hash: ContentHash, _ text: BlobText) async throws {
        try await transaction { db, log in
            // Bytes are read once: the text of the same bytes is the same, and the first record stands.
            let known = try await db.raw("SELECT 1 AS known FROM blob_texts WHERE sha256 = \(bind: hash.hex)").first()
            // Bytes whose last attachment went while they were read keep no text: nothing would ever remove it.
            let used = try await db.raw("SELECT 1 AS used FROM attachments WHERE sha256 = \(bind: hash.hex) LIMIT 1").first()
            guard known == nil, used != nil else { return }
            log.record(.blob(hash))
            try await db.raw("""
                INSERT INTO blob_texts (sha256, state, text, characters, truncated, reason, extracted_at)
                VALUES (\(bind: hash.hex), \(bind: text.info.failure == nil ? "done" : "failed"), \(bind: text.text),
                        \(bind: text.info.characters), \(bind: text.info.truncated ? 1 : 0), \(bind: text.info.failure),
                        \(bind: Date().millis))
                """).run()
            for row in try await db.raw("SELECT seq, id, room_id FROM attachments WHERE sha256 = \(bind: hash.hex)").all() {
                let id = try row.decode(column: "id", as: String.self)
                let room = RoomID(rawValue: try row.decode(column: "room_id", as: String.self))
                log.record(.attachment(AttachmentID(rawValue: id), room: room))
                log.event(.attachmentTextRead, in: room, subject: id)
                guard text.info.failure == nil, !text.text.isEmpty else { continue }
                // An index row holds the name, and its messages' words and the file's text a line apart.
                try await db.raw("""
                    UPDATE attachment_text SET text = CASE WHEN text = '' THEN \(bind: text.text)
                      ELSE text || char(10) || \(bind: text.text) END
                    WHERE rowid = \(bind: try row.decode(column: "seq", as: Int64.self))
                    """).run()
            }
        }
    }

    public func text(of hash: ContentHash) async throws -> BlobText? {
        guard let row = try await read("""
            SELECT text, characters, truncated, reason FROM blob_texts WHERE sha256 = \(bind: hash.hex)
            """).first() else { return nil }
        return BlobText(
            info: TextInfo(failure: try row.decode(column: "reason", as: String?.self),
                           characters: try row.decode(column: "characters", as: Int?.self) ?? 0,
                           truncated: try row.decode(column: "truncated", as: Int.self) != 0),
            text: try row.decode(column: "text", as: String?.self) ?? "")
    }
}
