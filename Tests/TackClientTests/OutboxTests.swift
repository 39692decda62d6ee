import Foundation
import Testing
import TackTestSupport
@testable import TackClient

@Suite(.timeLimit(.minutes(10)), .ownThread) struct OutboxTests {
    func makeOutbox() throws -> Outbox {
        let directory = NSTemporaryDirectory() + "outbox-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return Outbox(directory: directory)
    }

    @Test func entriesAppearOnlyWhenCommittedAndKeepWhatWasQueued() throws {
        let outbox = try makeOutbox()
        let source = outbox.directory + "/../source-\(UUID().uuidString).txt"
        try Data("first version\n".utf8).write(to: URL(fileURLWithPath: source))
        let draft = try outbox.draft(room: "room_a", message: "hello")
        let item = try draft.add(copying: source, name: "notes.txt", contentType: "text/plain")
        // sha256sum of "first version\n", computed independently.
        #expect(item.sha256 == "0533c80dc85756cf8cd5181e68d6520f5ffc4585def452d26f59756a5c2548b1")
        #expect(outbox.entries().isEmpty)
        let entry = try draft.commit()
        // Editing the original afterwards changes nothing queued.
        try Data("second, longer version\n".utf8).write(to: URL(fileURLWithPath: source))
        let listed = try #require(outbox.entries().first)
        #expect(listed.record == entry.record)
        #expect(try Data(contentsOf: URL(fileURLWithPath: listed.path(of: listed.record.items[0]))) == Data("first version\n".utf8))
        #expect(listed.record.items[0].size == 14)
        outbox.remove(listed)
        #expect(outbox.entries().isEmpty)
    }

    @Test func anEntryIsLockedWhileItIsSent() throws {
        let outbox = try makeOutbox()
        let draft = try outbox.draft(room: "room_a", message: nil)
        try draft.add(name: "a.png", contentType: "image/png") { fd in _ = write(fd, "x", 1) }
        let entry = try draft.commit()
        let lock = try #require(outbox.lock(entry))
        #expect(outbox.lock(entry) == nil)
        lock.release()
        #expect(outbox.lock(entry) != nil)
    }

    @Test func abandonedDraftsGoAfterADayAndFreshOnesStay() throws {
        let outbox = try makeOutbox()
        let fresh = try outbox.draft(room: "room_a", message: nil)
        let old = try outbox.draft(room: "room_a", message: nil)
        let dayAgo = Date().addingTimeInterval(-25 * 3600)
        try FileManager.default.setAttributes([.modificationDate: dayAgo], ofItemAtPath: old.directory)
        outbox.sweepAbandonedDrafts(olderThan: 24 * 3600)
        #expect(FileManager.default.fileExists(atPath: fresh.directory))
        #expect(!FileManager.default.fileExists(atPath: old.directory))
    }
}
