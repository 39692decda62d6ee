import Foundation
import SQLiteNIO
import Testing
import TackCore
@testable import TackStorage

/// The reads that go through SQLite's C API with statements kept prepared (`SQLiteDirectReader`).
@Suite(.timeLimit(.minutes(5))) struct SQLiteDirectReaderTests {
    func seeded() async throws -> (TemporaryFolder, SQLiteCatalog, Room) {
        let folder = try TemporaryFolder()
        let catalog = try await SQLiteCatalog.open(path: "\(folder.path)/tack.sqlite")
        _ = try await catalog.createUser(name: "carol", role: .client, tokenDigest: "d-carol", at: Date())
        let room = Room(id: .make(), name: "Room for Project A", creator: "carol", members: ["carol"], createdAt: Date())
        try await catalog.createRoom(room)
        return (folder, catalog, room)
    }

    func attachment(_ room: RoomID, _ n: Int) -> Attachment {
        Attachment(id: .make(), room: room, name: "file-\(n).png", size: Int64(n + 1), contentType: "image/png",
                   sha256: ContentHash(bytes: [UInt8](repeating: UInt8(n % 251), count: 32))!, uploader: "carol",
                   createdAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(n)))
    }

    /// A statement kept prepared must not keep its read snapshot: every read after a commit sees it, on whichever
    /// reader it lands, and the same statement run again with other values answers for those.
    @Test func everyReadSeesTheWritesCommittedBeforeIt() async throws {
        let (folder, catalog, room) = try await seeded()
        var ids: [AttachmentID] = []
        for n in 0..<120 {
            let added = attachment(room.id, n)
            try await catalog.insertAttachment(added, releasing: nil)
            ids.append(added.id)
            #expect(try await catalog.attachment(added.id) == added)
            let page = try await catalog.attachments(in: room.id, limit: 10, cursor: nil)
            #expect(page.items.map(\.id) == Array(ids.suffix(10).reversed()), "after \(n + 1) inserts")
            if n % 20 == 19 {
                _ = try await catalog.deleteAttachment(ids.removeFirst())
                #expect(try await catalog.attachments(in: room.id, limit: 200, cursor: nil).items.count == ids.count)
            }
        }
        // Walking the room by cursor meets every attachment once, newest first.
        var walked: [AttachmentID] = []
        var cursor: PageCursor?
        repeat {
            let page = try await catalog.attachments(in: room.id, limit: 7, cursor: cursor)
            walked += page.items.map(\.id)
            cursor = page.next
        } while cursor != nil
        #expect(walked == ids.reversed())
        await catalog.close()
        _ = folder
    }

    /// A statement is prepared once per reader, however its values change: a page at another cursor, with another
    /// limit, reuses the plan (SQLite 3.53 would otherwise prepare it again whenever a LIMIT or a range bound is bound).
    @Test func aStatementKeptPreparedIsNotPreparedAgain() async throws {
        let (folder, catalog, room) = try await seeded()
        for n in 0..<30 { try await catalog.insertAttachment(attachment(room.id, n), releasing: nil) }
        let reader = try SQLiteDirectReader(path: "\(folder.path)/tack.sqlite")
        let page = "\(CatalogRows.selectAttachments) WHERE a.room_id = ? AND a.seq < ? ORDER BY a.seq DESC LIMIT ?"
        for before in stride(from: 31, to: 1, by: -3) {
            let seqs = try reader.query(page, [.text(room.id.rawValue), .integer(before), .integer(before % 5 + 1)]) {
                try $0.int64("seq")
            }
            #expect(seqs == Array((max(1, before - before % 5 - 1)..<before).reversed()).map(Int64.init))
        }
        #expect(reader.timesPreparedAgain(page) == 0)
        reader.close()
        await catalog.close()
    }

    /// A page of messages carries each message's own attachments in their order, read in two queries whatever the
    /// page's length.
    @Test func messagePagesCarryTheirAttachmentsInOrder() async throws {
        let (folder, catalog, room) = try await seeded()
        var expected: [(MessageID, [AttachmentID])] = []
        for m in 0..<12 {
            var attached: [AttachmentID] = []
            for k in 0..<(m % 4) {
                let added = attachment(room.id, m * 10 + k)
                try await catalog.insertAttachment(added, releasing: nil)
                attached.append(added.id)
            }
            let message = try await catalog.insertMessage(id: .make(), room: room.id, author: "carol", text: "message \(m)",
                                                          attachments: attached.reversed(), at: Date())
            expected.append((message.id, attached.reversed()))
        }
        let first = try await catalog.messages(in: room.id, limit: 5, cursor: nil)
        let second = try await catalog.messages(in: room.id, limit: 5, cursor: first.next)
        let read = (first.items + second.items).map { ($0.id, $0.attachments.map(\.id)) }
        let newest = Array(expected.reversed().prefix(10))
        #expect(read.map(\.0) == newest.map(\.0))
        #expect(read.map(\.1) == newest.map(\.1))
        #expect(try await catalog.message(expected[3].0)?.attachments.map(\.id) == expected[3].1)
        await catalog.close()
        _ = folder
    }

    /// When another connection holds the file locked, a direct read is refused at once rather than sleeping on a
    /// cooperative thread: nil (busy), for the catalog to ask SQLiteNIO's readers, which wait their turn. Then it
    /// reads again as soon as the lock is gone. (A rollback-journal file: in WAL mode, which the catalog always uses,
    /// a writer never shuts readers out, so this is the rare case of a checkpoint or recovery in the way.)
    @Test func aLockedFileIsRefusedAtOnceNotWaitedFor() async throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/locked.sqlite"
        let other = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await other.query("CREATE TABLE t (id TEXT)")
        _ = try await other.query("INSERT INTO t VALUES ('a')")
        let direct = try SQLiteDirectReader(path: path)
        let query = { try direct.query("SELECT id FROM t WHERE id = ?", [.text("a")]) { try $0.text("id") } }
        #expect(try query() == ["a"])
        _ = try await other.query("BEGIN EXCLUSIVE")
        _ = try await other.query("UPDATE t SET id = 'a'")
        #expect(try query() == nil, "a locked file answers nil (busy) rather than waiting")
        _ = try await other.query("COMMIT")
        #expect(try query() == ["a"])
        try await other.close()
        direct.close()
        #expect(throws: TackError.self) { try query() }
    }
}
