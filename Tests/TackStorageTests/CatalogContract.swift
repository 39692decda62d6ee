import Foundation
import Testing
import TackCore
@testable import TackStorage

/// What every `Catalog` must do. Each test runs against every implementation in `Implementations`.
@Suite(.timeLimit(.minutes(5))) struct CatalogContract {
    /// Every implementation, each on a fresh database that lives as long as the returned folder.
    func catalogs() async throws -> (TemporaryFolder, [(String, any CatalogInspection)]) {
        let folder = try TemporaryFolder()
        return (folder, try await Implementations.catalogs(in: folder))
    }

    /// `body` fails with `code`: the error a client is answered with, not merely some error.
    func expectError(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () async throws -> Void) async {
        await #expect(sourceLocation: sourceLocation) { try await body() } throws: { error in
            (error as? TackError)?.has(code) == true
        }
    }

    func hash(_ n: UInt8) -> ContentHash { ContentHash(bytes: [UInt8](repeating: n, count: 32))! }

    func attachment(_ room: RoomID, uploader: String = "carol", hash: ContentHash, name: String = "a.txt") -> Attachment {
        Attachment(id: .make(), room: room, name: name, size: 10, contentType: "text/plain", sha256: hash,
                   uploader: uploader, createdAt: Date())
    }

    /// carol (client) owns a room with fred (freelancer) in it.
    func seed(_ catalog: any Catalog) async throws -> Room {
        _ = try await catalog.createUser(name: "carol", role: .client, tokenDigest: "d-carol", at: Date())
        _ = try await catalog.createUser(name: "fred", role: .freelancer, tokenDigest: "d-fred", at: Date())
        _ = try await catalog.createUser(name: "mallory", role: .freelancer, tokenDigest: "d-mallory", at: Date())
        let room = Room(id: .make(), name: "Room for Project A", creator: "carol", members: ["carol", "fred"], createdAt: Date())
        try await catalog.createRoom(room)
        return room
    }

    /// A resumable upload's offset moves only from where it stands, only forwards, never past its length, and not
    /// at all once complete; a deferred length is set once.
    @Test func resumableUploadOffsetsOnlyMoveForward() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            let room = try await seed(catalog)
            let now = Date(millis: Date().millis)
            let upload = ResumableUpload(
                id: .make(), room: room.id, uploader: "fred", length: nil, name: "a.bin", declaredType: nil,
                message: "hi", metadata: "filename YS5iaW4=", isScreenshot: true, createdAt: now,
                expiresAt: now.addingTimeInterval(60))
            try await catalog.createResumableUpload(upload)
            #expect(try await catalog.resumableUpload(upload.id) == upload, "\(name)")
            let later = now.addingTimeInterval(120)
            #expect(try await catalog.advanceResumableUpload(upload.id, from: 0, to: 5, length: nil, expiresAt: later))
            #expect(try await catalog.reservedResumableBytes(of: "fred", excluding: nil, at: now) == 5, "received, while the length is unknown")
            #expect(try await catalog.reservedResumableBytes(of: "fred", excluding: upload.id, at: now) == 0)
            #expect(try await catalog.reservedResumableBytes(of: "carol", excluding: nil, at: now) == 0)
            #expect(try await !catalog.advanceResumableUpload(upload.id, from: 0, to: 9, length: nil, expiresAt: later),
                    "a PATCH from a stale offset moves nothing")
            #expect(try await !catalog.advanceResumableUpload(upload.id, from: 5, to: 4, length: nil, expiresAt: later))
            #expect(try await !catalog.advanceResumableUpload(upload.id, from: 5, to: 12, length: 10, expiresAt: later),
                    "never past the length")
            #expect(try await catalog.advanceResumableUpload(upload.id, from: 5, to: 8, length: 10, expiresAt: later))
            #expect(try await catalog.advanceResumableUpload(upload.id, from: 8, to: 10, length: 99, expiresAt: later))
            var stored = try #require(try await catalog.resumableUpload(upload.id))
            #expect(stored.length == 10 && stored.offset == 10 && stored.isFull, "the first length given stays")
            #expect(try await catalog.reservedResumableBytes(of: "fred", excluding: nil, at: now) == 10)
            #expect(try await catalog.reservedResumableBytes(of: "fred", excluding: nil, at: later) == 0, "expired ones hold nothing")
            #expect(stored.expiresAt == later)
            #expect(try await catalog.resumableUploadsToSweep(at: now, limit: 10).map(\.id) == [upload.id],
                    "full but not an attachment yet")
            let attachment = AttachmentID.make()
            try await catalog.completeResumableUpload(upload.id, attachment: attachment)
            stored = try #require(try await catalog.resumableUpload(upload.id))
            #expect(stored.attachment == attachment)
            #expect(try await catalog.reservedResumableBytes(of: "fred", excluding: nil, at: now) == 0, "complete ones are attachments")
            #expect(try await !catalog.advanceResumableUpload(upload.id, from: 10, to: 10, length: nil, expiresAt: later))
            #expect(try await catalog.resumableUploadsToSweep(at: now, limit: 10).isEmpty)
            #expect(try await catalog.resumableUploadsToSweep(at: later, limit: 10).map(\.id) == [upload.id], "expired")
            #expect(try await catalog.deleteResumableUpload(upload.id))
            #expect(try await catalog.resumableUpload(upload.id) == nil)
            #expect(try await !catalog.deleteResumableUpload(upload.id))
        }
        _ = folder
    }

    @Test func usersAndTokens() async throws {
        let (folder, all) = try await catalogs()
        defer { withExtendedLifetime(folder) {} }
        for (name, catalog) in all {
            let user = try await catalog.createUser(name: "carol", role: .client, tokenDigest: "d1", at: Date())
            #expect(user.role == .client)
            #expect(try await catalog.user(forTokenDigest: "d1")?.name == "carol", "\(name)")
            #expect(try await catalog.user(forTokenDigest: "nope") == nil)
            await expectError(.userExists) {
                _ = try await catalog.createUser(name: "carol", role: .freelancer, tokenDigest: "d2", at: Date())
            }
            #expect(try await catalog.user(forTokenDigest: "d2") == nil, "a refused user must not leave a token behind")
            try await catalog.addToken(user: "carol", tokenDigest: "d3", at: Date())
            #expect(try await catalog.user(forTokenDigest: "d3")?.name == "carol")
            await expectError(.notFound) { try await catalog.addToken(user: "ghost", tokenDigest: "d4", at: Date()) }
            #expect(try await catalog.user(named: "carol")?.role == .client)
        }
    }

    @Test func roomsAndMembers() async throws {
        let (folder, all) = try await catalogs()
        defer { withExtendedLifetime(folder) {} }
        for (name, catalog) in all {
            let room = try await seed(catalog)
            #expect(try await catalog.room(room.id)?.members == ["carol", "fred"], "\(name)")
            #expect(try await catalog.rooms(of: "fred").map(\.id) == [room.id])
            #expect(try await catalog.rooms(of: "mallory").isEmpty)
            try await catalog.addMember("mallory", to: room.id)
            try await catalog.addMember("mallory", to: room.id)
            #expect(try await catalog.room(room.id)?.members == ["carol", "fred", "mallory"])
            #expect(try await catalog.removeMember("mallory", from: room.id))
            #expect(try await !catalog.removeMember("mallory", from: room.id))
            await expectError(.unknownUser) { try await catalog.addMember("ghost", to: room.id) }
            let bad = Room(id: .make(), name: "x", creator: "carol", members: ["ghost"], createdAt: Date())
            await expectError(.unknownUser) { try await catalog.createRoom(bad) }
            #expect(try await catalog.room(bad.id) == nil, "a refused room must not be half-created")
            let second = Room(id: .make(), name: "Second", creator: "carol", members: [], createdAt: Date().addingTimeInterval(1))
            try await catalog.createRoom(second)
            #expect(try await catalog.rooms(of: "carol").map(\.id) == [second.id, room.id], "newest first")
        }
    }

    @Test func attachmentsCountReferences() async throws {
        let (folder, all) = try await catalogs()
        defer { withExtendedLifetime(folder) {} }
        for (name, catalog) in all {
            let room = try await seed(catalog)
            let first = attachment(room.id, hash: hash(1))
            let second = attachment(room.id, uploader: "fred", hash: hash(1), name: "copy.txt")
            try await catalog.insertAttachment(first, releasing: nil)
            try await catalog.insertAttachment(second, releasing: nil)
            #expect(try await catalog.references(to: hash(1)) == 2, "\(name)")
            #expect(try await catalog.attachment(first.id)?.sha256 == hash(1))
            #expect(try await catalog.deleteAttachment(first.id)?.id == first.id)
            #expect(try await catalog.deleteAttachment(first.id) == nil)
            #expect(try await catalog.references(to: hash(1)) == 1)
            _ = try await catalog.deleteAttachment(second.id)
            #expect(try await catalog.references(to: hash(1)) == 0)
            try await catalog.forgetBlob(hash(1))
            #expect(try await catalog.references(to: hash(1)) == 0)
        }
    }

    /// The text of some bytes is recorded once and shared: every attachment of them (and later ones) carries its
    /// facts and is found by its words; a failed read indexes nothing; the first record stands; it goes with the bytes.
    @Test func textIsRecordedOncePerBlobAndSearchable() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            let room = try await seed(catalog)
            func found(_ word: String) async throws -> Set<String> {
                var filter = AttachmentFilter(rooms: [room.id])
                filter.text = [.word(word)]
                return Set(try await catalog.searchAttachments(filter, limit: 10, cursor: nil).items.map(\.name))
            }
            let first = attachment(room.id, hash: hash(1), name: "one.txt")
            try await catalog.insertAttachment(first, releasing: nil)
            #expect(try await catalog.text(of: hash(1)) == nil, "\(name)")
            #expect(try await catalog.attachment(first.id)?.text == nil)
            let read = BlobText(info: TextInfo(failure: nil, characters: 19, truncated: true), text: "penalty clause here")
            try await catalog.recordText(hash(1), read)
            #expect(try await catalog.text(of: hash(1)) == read)
            #expect(try await catalog.attachment(first.id)?.text == read.info)
            #expect(try await found("penalty") == ["one.txt"])
            // Recorded again (a job run twice): the first record stands, and the index holds the words once.
            try await catalog.recordText(hash(1), BlobText(info: TextInfo(failure: nil, characters: 5, truncated: false), text: "other"))
            #expect(try await catalog.text(of: hash(1)) == read)
            #expect(try await found("other") == [])
            // A later attachment of the same bytes is found at once.
            let second = attachment(room.id, uploader: "fred", hash: hash(1), name: "two.txt")
            try await catalog.insertAttachment(second, releasing: nil)
            #expect(try await catalog.attachment(second.id)?.text == read.info)
            #expect(try await found("clause") == ["one.txt", "two.txt"])
            // A failed read is kept with its reason and indexes nothing.
            let binary = attachment(room.id, hash: hash(2), name: "three.txt")
            try await catalog.insertAttachment(binary, releasing: nil)
            try await catalog.recordText(hash(2), BlobText(info: TextInfo(failure: "not text", characters: 0, truncated: false), text: ""))
            #expect(try await catalog.attachment(binary.id)?.text?.failure == "not text")
            // The last attachment of some bytes takes their text with it.
            _ = try await catalog.deleteAttachment(first.id)
            _ = try await catalog.deleteAttachment(second.id)
            #expect(try await catalog.text(of: hash(1)) == nil)
            // A read that ends after the bytes' last attachment went keeps nothing, which nothing would remove.
            try await catalog.recordText(hash(1), read)
            #expect(try await catalog.text(of: hash(1)) == nil)
        }
        _ = folder
    }

    @Test func pinsExpireAndRelease() async throws {
        let (folder, all) = try await catalogs()
        defer { withExtendedLifetime(folder) {} }
        for (name, catalog) in all {
            let pin = try await catalog.pin(hash(2), until: Date().addingTimeInterval(60))
            #expect(try await catalog.isPinned(hash(2), at: Date()), "\(name)")
            #expect(try await !catalog.isPinned(hash(2), at: Date().addingTimeInterval(61)))
            #expect(try await !catalog.isPinned(hash(3), at: Date()))
            try await catalog.releasePin(pin)
            #expect(try await !catalog.isPinned(hash(2), at: Date()))
            let room = try await seed(catalog)
            let held = try await catalog.pin(hash(4), until: Date().addingTimeInterval(60))
            try await catalog.insertAttachment(attachment(room.id, hash: hash(4)), releasing: held)
            #expect(try await !catalog.isPinned(hash(4), at: Date()), "recording the attachment releases its pin")
        }
    }

    @Test func jobsAreClaimedUnderALeaseRetriedAndFinished() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            let t0 = Date(timeIntervalSince1970: 2_000_000_000)
            #expect(try await catalog.enqueueJob(.thumbnail, subject: "a", at: t0, maxQueued: 10), "\(name)")
            #expect(try await catalog.enqueueJob(.thumbnail, subject: "a", at: t0, maxQueued: 10) == false, "one per subject")
            #expect(try await catalog.enqueueJob(.thumbnail, subject: "b", at: t0, maxQueued: 10))
            #expect(try await catalog.enqueueJob(.thumbnail, subject: "c", at: t0, maxQueued: 2) == false, "the queue is full")

            // One runner claims the oldest; a second finds the next, and nothing once both are held.
            let first = try await catalog.claimJobs([.thumbnail], owner: "one", limit: 1, lease: .seconds(60), maxAttempts: 5, at: t0)
            #expect(first.map(\.subject) == ["a"] && first.first?.attempts == 1 && first.first?.state == .running)
            #expect(first.first?.leaseUntil == t0.addingTimeInterval(60))
            let t30 = t0.addingTimeInterval(30)
            let second = try await catalog.claimJobs([.thumbnail], owner: "two", limit: 5, lease: .seconds(60), maxAttempts: 5, at: t30)
            #expect(second.map(\.subject) == ["b"])
            #expect(try await catalog.claimJobs([.thumbnail], owner: "two", limit: 5, lease: .seconds(60), maxAttempts: 5, at: t30).isEmpty)

            // "one" dies: once its lease lapses, "two" takes its job, and "one" can no longer finish it.
            let later = t0.addingTimeInterval(61)
            let retaken = try await catalog.claimJobs([.thumbnail], owner: "two", limit: 5, lease: .seconds(60), maxAttempts: 5, at: later)
            #expect(retaken.map(\.subject) == ["a"] && retaken.first?.attempts == 2, "\(name)")
            #expect(try await catalog.finishJob(try #require(first.first).id, owner: "one") == false)

            // A failure with a retry time waits for it; one without is kept as failed, with its reason.
            let b = try #require(second.first)
            try await catalog.failJob(b.id, owner: "two", error: "store unreachable", retryAt: t0.addingTimeInterval(100))
            #expect(try await catalog.claimJobs([.thumbnail], owner: "two", limit: 5, lease: .seconds(60), maxAttempts: 5, at: later).isEmpty)
            let due = try await catalog.claimJobs([.thumbnail], owner: "two", limit: 5, lease: .seconds(60), maxAttempts: 5,
                                                  at: t0.addingTimeInterval(100))
            #expect(due.map(\.subject) == ["b"] && due.first?.lastError == "store unreachable")
            try await catalog.failJob(b.id, owner: "two", error: "still unreachable", retryAt: nil)
            #expect(try await catalog.finishJob(try #require(retaken.first).id, owner: "two"))

            let left = try await catalog.jobs(limit: 10)
            #expect(left.map(\.subject) == ["b"] && left.first?.state == .failed && left.first?.lastError == "still unreachable")
            #expect(try await catalog.claimJobs([.thumbnail], owner: "two", limit: 5, lease: .seconds(60), maxAttempts: 5,
                                                at: t0.addingTimeInterval(10_000)).isEmpty, "failed jobs are not claimed")
            #expect(try await catalog.enqueueJob(.thumbnail, subject: "b", at: t0, maxQueued: 10) == false,
                    "a failed job is not queued again behind an operator's back")
            #expect(try await catalog.retryFailedJobs(at: t0.addingTimeInterval(200)) == 1, "but when the operator says so")
            let retried = try await catalog.claimJobs([.thumbnail], owner: "two", limit: 5, lease: .seconds(60), maxAttempts: 5,
                                                      at: t0.addingTimeInterval(200))
            #expect(retried.map(\.subject) == ["b"] && retried.first?.attempts == 1)
            #expect(try await catalog.finishJob(try #require(retried.first).id, owner: "two"))

            // A graceful stop hands back what a runner holds, without counting the attempt.
            #expect(try await catalog.enqueueJob(.thumbnail, subject: "d", at: t0, maxQueued: 10))
            let held = try await catalog.claimJobs([.thumbnail], owner: "three", limit: 1, lease: .seconds(60), maxAttempts: 5, at: t0)
            try await catalog.releaseJobs(owner: "three")
            let again = try await catalog.claimJobs([.thumbnail], owner: "four", limit: 1, lease: .seconds(60), maxAttempts: 5, at: t0)
            #expect(again.map(\.id) == held.map(\.id) && again.first?.attempts == 1)
            #expect(try await catalog.finishJob(try #require(again.first).id, owner: "four"))

            // A job whose runners keep dying while they hold it is failed, not handed to the next one forever.
            #expect(try await catalog.enqueueJob(.thumbnail, subject: "e", at: t0, maxQueued: 10))
            for (owner, at) in [("x", t0), ("y", t0.addingTimeInterval(61))] {
                let claimed = try await catalog.claimJobs([.thumbnail], owner: owner, limit: 1, lease: .seconds(60),
                                                          maxAttempts: 2, at: at)
                #expect(claimed.map(\.subject) == ["e"], "\(name) \(owner)")
            }
            #expect(try await catalog.claimJobs([.thumbnail], owner: "z", limit: 1, lease: .seconds(60), maxAttempts: 2,
                                                at: t0.addingTimeInterval(122)).isEmpty)
            let gaveUp = try await catalog.jobs(limit: 10).first { $0.subject == "e" }
            #expect(gaveUp?.state == .failed && gaveUp?.lastError?.contains("stopped while running it, 2 times") == true)
        }
        _ = folder
    }

    @Test func attachmentsPageNewestFirst() async throws {
        let (folder, all) = try await catalogs()
        defer { withExtendedLifetime(folder) {} }
        for (name, catalog) in all {
            let room = try await seed(catalog)
            var inserted: [Attachment] = []
            for n in 0..<7 {
                let a = attachment(room.id, hash: hash(UInt8(n)), name: "f\(n).txt")
                try await catalog.insertAttachment(a, releasing: nil)
                inserted.append(a)
            }
            var seen: [AttachmentID] = []
            var cursor: PageCursor?
            repeat {
                let page = try await catalog.attachments(in: room.id, limit: 3, cursor: cursor)
                #expect(page.items.count <= 3)
                seen += page.items.map(\.id)
                cursor = page.next
            } while cursor != nil
            #expect(seen == inserted.reversed().map(\.id), "\(name)")
            let other = Room(id: .make(), name: "Other", creator: "carol", members: [], createdAt: Date())
            try await catalog.createRoom(other)
            #expect(try await catalog.attachments(in: other.id, limit: 10, cursor: nil).items.isEmpty)
        }
    }

    @Test func messagesCarryOnlyTheirRoomsAttachments() async throws {
        let (folder, all) = try await catalogs()
        defer { withExtendedLifetime(folder) {} }
        for (name, catalog) in all {
            let room = try await seed(catalog)
            let other = Room(id: .make(), name: "Other", creator: "carol", members: [], createdAt: Date())
            try await catalog.createRoom(other)
            let mine = attachment(room.id, hash: hash(1))
            let foreign = attachment(other.id, hash: hash(2))
            try await catalog.insertAttachment(mine, releasing: nil)
            try await catalog.insertAttachment(foreign, releasing: nil)
            let message = try await catalog.insertMessage(
                id: .make(), room: room.id, author: "fred", text: "see attached", attachments: [mine.id], at: Date())
            #expect(message.attachments.map(\.id) == [mine.id], "\(name)")
            await expectError(.foreignAttachment) {
                _ = try await catalog.insertMessage(id: .make(), room: room.id, author: "fred", text: "x",
                                                    attachments: [mine.id, foreign.id], at: Date())
            }
            let page = try await catalog.messages(in: room.id, limit: 10, cursor: nil)
            #expect(page.items.map(\.id) == [message.id], "a refused message must not be stored")
            #expect(page.items.first?.attachments.map(\.id) == [mine.id])
            _ = try await catalog.deleteAttachment(mine.id)
            #expect(try await catalog.messages(in: room.id, limit: 10, cursor: nil).items.first?.attachments.isEmpty == true)
        }
    }

    @Test func idempotencyKeysArePerUserRecordedWithWhatTheyMadeAndTheFirstWins() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            let room = try await seed(catalog)
            let first = attachment(room.id, uploader: "fred", hash: hash(3))
            let second = attachment(room.id, uploader: "fred", hash: hash(4))
            #expect(try await catalog.idempotentUpload(user: "fred", key: "k1") == nil, "\(name)")
            let pin = try await catalog.pin(hash(3), until: Date().addingTimeInterval(60))
            #expect(try await catalog.insertAttachment(first, releasing: pin, quota: nil, key: UploadKey(key: "k1", received: hash(9))) == nil)
            // A second try with the key records nothing, releases its pin, and learns what the first made.
            let secondPin = try await catalog.pin(hash(4), until: Date().addingTimeInterval(60))
            let repeated = try await catalog.insertAttachment(second, releasing: secondPin, quota: nil, key: UploadKey(key: "k1", received: hash(8)))
            #expect(repeated == IdempotentUpload(attachment: first.id, received: hash(9)))
            #expect(try await catalog.attachment(second.id) == nil)
            #expect(try await catalog.isPinned(hash(4), at: Date()) == false)
            #expect(try await catalog.references(to: hash(4)) == 0)
            #expect(try await catalog.usage(of: "fred")?.usedBytes == 10, "charged once")
            #expect(try await catalog.idempotentUpload(user: "fred", key: "k1") == IdempotentUpload(attachment: first.id, received: hash(9)))
            #expect(try await catalog.idempotentUpload(user: "carol", key: "k1") == nil, "keys belong to one user")

            let messageID = MessageID.make()
            let message = try await catalog.insertMessage(id: messageID, room: room.id, author: "fred", text: "hi",
                                                          attachments: [first.id], at: Date(), key: "m1")
            #expect(message.id == messageID)
            let again = try await catalog.insertMessage(id: .make(), room: room.id, author: "fred", text: "other",
                                                        attachments: [], at: Date(), key: "m1")
            #expect(again.id == messageID && again.text == "hi" && again.attachments.map(\.id) == [first.id])
            #expect(try await catalog.messages(in: room.id, limit: 10, cursor: nil).items.count == 1)
            let found = try await catalog.idempotentMessage(user: "fred", key: "m1")
            #expect(found?.id == message.id && found?.room == room.id)
            #expect(try await catalog.idempotentMessage(user: "mallory", key: "m1") == nil)
        }
        _ = folder
    }

    @Test func quotasAreChargedAndFreedInTheSameTransaction() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            let room = try await seed(catalog)
            #expect(try await catalog.usage(of: "fred") == Usage(usedBytes: 0, quotaBytes: nil), "\(name)")
            let a = attachment(room.id, uploader: "fred", hash: hash(1)), b = attachment(room.id, uploader: "fred", hash: hash(1))
            _ = try await catalog.insertAttachment(a, releasing: nil, quota: 20, key: nil)
            _ = try await catalog.insertAttachment(b, releasing: nil, quota: 20, key: nil)
            let c = attachment(room.id, uploader: "fred", hash: hash(2))
            await expectError(.quotaExceeded) { _ = try await catalog.insertAttachment(c, releasing: nil, quota: 20, key: nil) }
            #expect(try await catalog.attachment(c.id) == nil, "a refused attachment is not recorded")
            #expect(try await catalog.references(to: hash(2)) == 0)
            #expect(try await catalog.usage(of: "fred")?.usedBytes == 20)
            _ = try await catalog.deleteAttachment(a.id)
            #expect(try await catalog.usage(of: "fred")?.usedBytes == 10)
            try await catalog.setQuota(of: "fred", to: 5)
            #expect(try await catalog.usage(of: "fred") == Usage(usedBytes: 10, quotaBytes: 5))
            try await catalog.setQuota(of: "fred", to: nil)
            #expect(try await catalog.usage(of: "fred")?.quotaBytes == nil)
            await expectError(.notFound) { try await catalog.setQuota(of: "nobody", to: 5) }
        }
        _ = folder
    }

    @Test func tokensAreRevokedAndRemovedUsersSignInNoMore() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            let room = try await seed(catalog)
            try await catalog.addToken(user: "fred", tokenDigest: "e2" + String(repeating: "0", count: 62), at: Date().addingTimeInterval(1))
            let tokens = try await catalog.tokens(of: "fred")
            #expect(tokens.map(\.id) == [TokenInfo.id(forDigest: "d-fred"), "tok_e200000000000000"], "\(name)")
            #expect(try await catalog.revokeToken(id: "tok_e200000000000000"))
            #expect(try await catalog.revokeToken(id: "tok_e200000000000000") == false)
            #expect(try await catalog.revokeToken(id: "tok_e2") == false, "a short prefix names no token")
            #expect(try await catalog.user(forTokenDigest: "e2" + String(repeating: "0", count: 62)) == nil)
            _ = try await catalog.insertAttachment(attachment(room.id, uploader: "fred", hash: hash(5)), releasing: nil)
            #expect(try await catalog.removeUser(named: "fred"))
            #expect(try await catalog.removeUser(named: "fred") == false)
            #expect(try await catalog.user(forTokenDigest: "d-fred") == nil)
            #expect(try await catalog.tokens(of: "fred").isEmpty)
            #expect(try await catalog.attachments(in: room.id, limit: 10, cursor: nil).items.count == 1, "their files stay")
            await expectError(.notFound) { try await catalog.addToken(user: "fred", tokenDigest: "x", at: Date()) }
            await expectError(.userExists) {
                _ = try await catalog.createUser(name: "fred", role: .freelancer, tokenDigest: "y", at: Date())
            }
            await expectError(.unknownUser) { try await catalog.addMember("fred", to: room.id) }
        }
        _ = folder
    }

    @Test func linkKeysAreListedNewestFirstAndForgottenByID() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            #expect(try await catalog.linkKeys().isEmpty, "\(name)")
            let old = LinkKey(id: "key_old", secret: [UInt8](repeating: 1, count: 32), createdAt: Date(timeIntervalSince1970: 1_000))
            let new = LinkKey(id: "key_new", secret: [UInt8](repeating: 2, count: 32), createdAt: Date(timeIntervalSince1970: 2_000))
            try await catalog.addLinkKey(old)
            try await catalog.addLinkKey(new)
            #expect(try await catalog.linkKeys() == [new, old])
            await #expect(throws: (any Error).self) { try await catalog.addLinkKey(old) }
            #expect(try await catalog.forgetLinkKey(id: "key_old"))
            #expect(try await !catalog.forgetLinkKey(id: "key_old"))
            #expect(try await catalog.linkKeys() == [new])
        }
        _ = folder
    }

    @Test func removedUsersAreNotActive() async throws {
        let (folder, all) = try await catalogs()
        for (name, catalog) in all {
            _ = try await seed(catalog)
            #expect(try await catalog.isActiveUser("fred"), "\(name)")
            #expect(try await !catalog.isActiveUser("nobody"))
            #expect(try await catalog.removeUser(named: "fred"))
            #expect(try await !catalog.isActiveUser("fred"))
        }
        _ = folder
    }
}
