import Foundation
import Testing
import TackCore
import TackTestSupport
@testable import TackStorage

/// Search and summaries checked against a generated data set: thousands of attachments across rooms, users, types,
/// sizes and dates, some on the very edges of days, with messages whose words find them. Every answer is compared
/// with `AttachmentFilter.matches`, the plain-Swift reading of the same query.
// On a thread of its own: SQLite answers on the caller's thread, so thousands of queries in a row never suspend and
// held one of the cooperative pool's two threads for minutes, starving the servers other tests run in-process.
@Suite(.serialized, .timeLimit(.minutes(10)), .ownThread) struct SearchContract {
    /// The data set, made once per catalog from a fixed seed.
    struct DataSet {
        var rooms: [Room] = []
        /// In insertion order (the catalog's newest-first is the reverse).
        var attachments: [Attachment] = []
        var texts: [AttachmentID: [String]] = [:]
    }

    static let users = ["alice", "bob", "bobjones", "carol", "dmitri"]
    static let words = ["report", "invoice", "logo", "budget", "launch", "plan", "café", "mock", "draft", "final",
                        "q3-budget", "Screenshot", "diagram", "contract", "notes"]
    static let kinds: [(ext: String, type: String)] = [
        ("png", "image/png"), ("jpg", "image/jpeg"), ("mp4", "video/mp4"), ("mp3", "audio/mpeg"),
        ("pdf", "application/pdf"), ("docx", "application/octet-stream"), ("zip", "application/zip"),
        ("tar.gz", "application/gzip"), ("bin", "application/octet-stream"), ("txt", "text/plain"),
    ]
    /// 2015-05-01T00:00:00Z, and instants on the edges of days in UTC and in Europe/Berlin.
    static let may1: Int64 = 1_430_438_400_000
    static let edges: [Int64] = [
        may1, may1 - 1, may1 + 86_400_000 - 1, may1 + 86_400_000,
        // 22:30Z on 2015-05-31 is 00:30 on June 1 in Berlin: after:20150601 finds it there, not in UTC.
        may1 + 30 * 86_400_000 + 22 * 3_600_000 + 30 * 60_000,
        may1 + 31 * 86_400_000 - 2 * 3_600_000 - 1, may1 + 31 * 86_400_000 - 2 * 3_600_000,
    ]

    static func generate(into catalog: any Catalog, count: Int) async throws -> DataSet {
        var random = SplitMix64(seed: 20_150_501)
        var data = DataSet()
        for user in users {
            _ = try await catalog.createUser(name: user, role: .client, tokenDigest: "d-\(user)", at: Date())
        }
        let roomNames = ["Room for Project A", "design", "Design Review", "random"]
        for (index, name) in roomNames.enumerated() {
            // Everyone is in the first three rooms; dmitri alone is not in "random".
            let members = index == 3 ? ["alice", "bob", "bobjones", "carol"] : users
            let room = Room(id: .make(), name: name, creator: "alice", members: members, createdAt: Date())
            try await catalog.createRoom(room)
            data.rooms.append(room)
        }
        let start = Int64(1_420_070_400_000)  // 2015-01-01T00:00Z
        for n in 0..<count {
            let kind = kinds[random.next(below: kinds.count)]
            let stem = (0..<(1 + random.next(below: 2))).map { _ in words[random.next(below: words.count)] }.joined(separator: "_")
            let room = data.rooms[random.next(below: data.rooms.count)]
            let uploaders = room.members
            let millis = n < edges.count * 3 ? edges[n % edges.count] : start + Int64(random.next(below: 365 * 86_400)) * 1000
            // Sizes spread over six orders of magnitude, with the boundary values of the queries below among them.
            let size: Int64 = [0, 1, 500 << 10, (500 << 10) - 1, 10 << 20, (10 << 20) + 1][safe: n % 40]
                ?? Int64(random.next(below: 1 << (4 + random.next(below: 22))))
            var attachment = Attachment(
                id: .make(), room: room.id, name: "\(stem)-\(n).\(kind.ext)", size: size, contentType: kind.type,
                sha256: ContentHash(bytes: (0..<32).map { _ in UInt8(random.next(below: 256)) })!,
                uploader: uploaders[random.next(below: uploaders.count)], createdAt: Date(millis: millis))
            if random.next(below: 10) == 0 {
                attachment.source = LinkSource(provider: "dropbox", url: "https://www.dropbox.com/s/x/\(n)", fetchedAt: Date(),
                                               etag: nil, lastModified: nil)
            }
            attachment.isScreenshot = kind.ext == "png" && random.next(below: 3) == 0
            try await catalog.insertAttachment(attachment, releasing: nil)
            data.attachments.append(attachment)
            // Every seventh file is sent with a message; some messages carry the one before it too.
            if n % 7 == 0 {
                let text = (0..<(2 + random.next(below: 5))).map { _ in words[random.next(below: words.count)] }
                    .joined(separator: " ")
                var carried = [attachment]
                if let previous = data.attachments.dropLast().last, previous.room == room.id { carried.append(previous) }
                _ = try await catalog.insertMessage(id: .make(), room: room.id, author: attachment.uploader, text: text,
                                                    attachments: carried.map(\.id), at: attachment.createdAt)
                for file in carried { data.texts[file.id, default: []].append(text) }
            }
        }
        // A deleted file is found by nothing, its words included.
        let deleted = data.attachments.remove(at: 10)
        _ = try await catalog.deleteAttachment(deleted.id)
        data.texts[deleted.id] = nil
        return data
    }

    static let queries = [
        "", "from:bob", "from:BOB", "from:@bobjones", "from:bob from:carol", "-from:bob", "in:design",
        "in:\"Room for Project A\"", "in:Room for Project A", "-in:random", "in:nowhere",
        "before:20150501", "after:20150501", "after:20150501 before:20150501", "after:20150601", "-before:20150501",
        "-after:20150601", "-after:20150601 -before:20150501",
        "type:image", "type:screenshot", "type:link", "-type:link", "type:document type:archive", "type:other",
        "type:video -type:link", "ext:pdf", "ext:gz", "-ext:png", "name:budget", "name:Q3", "-name:logo",
        "larger:10MB", "smaller:500KB", "larger:500KB smaller:10MB", "-larger:1KB", "-smaller:10MB",
        "report", "rep", "rep*", "la*", "-draf*", "-report -logo -\"launch plan\"", "cafe", "café", "\"launch plan\"", "\"plan launch\"", "q3-budget", "-report", "report -invoice",
        "\"final draft\" type:image", "from:alice type:image after:20150301 before:20150831", "notes -\"notes notes\"",
    ]

    /// Every page of a search, newest first.
    static func everything(_ catalog: any Catalog, _ filter: AttachmentFilter) async throws -> [AttachmentID] {
        var ids: [AttachmentID] = []
        var cursor: PageCursor?
        repeat {
            let page = try await catalog.searchAttachments(filter, limit: 97, cursor: cursor)
            ids += page.items.map(\.id)
            cursor = page.next
        } while cursor != nil
        return ids
    }

    @Test func everyQueryFindsExactlyWhatItsReadingSays() async throws {
        let folder = try TemporaryFolder()
        // Searches pass through the caches untouched: sqlite+cache shows that, and PostgreSQL's is not generated twice.
        // The data set is the same for every catalog but for its ids (a fixed seed), so the plain-Swift reading (slow in a
        // debug build) is worked out once, as positions in it, and each catalog's answer compared with those.
        var expectedPositions: [String: [Int]] = [:]
        for (name, catalog) in try await Implementations.catalogs(in: folder) where name != "postgres+cache" {
            let data = try await Self.generate(into: catalog, count: 2000)
            let reference = Array(data.attachments.reversed())
            for zone in ["UTC", "Europe/Berlin"] {
                for text in Self.queries {
                    for searcher in ["alice", "dmitri"] {
                        let scope = data.rooms.filter { $0.members.contains(searcher) }
                        let filter = AttachmentFilter(try SearchQuery.parse(text), scope: scope,
                                                      timeZone: TimeZone(identifier: zone)!)
                        let key = "\(zone) \(searcher) \(text)"
                        // Worked out on a thread of its own: seconds of CPU on one of the two threads every test shares
                        // stall the whole suite.
                        let texts = data.texts
                        let positions: [Int]
                        if let known = expectedPositions[key] {
                            positions = known
                        } else {
                            positions = try await offThePool {
                                reference.indices.filter { filter.matches(reference[$0], messageTexts: texts[reference[$0].id] ?? []) }
                            }
                        }
                        expectedPositions[key] = positions
                        let expected = positions.map { reference[$0] }
                        let found = try await Self.everything(catalog, filter)
                        let same = found == expected.map(\.id)
                        #expect(same, "\(name) '\(text)' in \(zone) for \(searcher): \(found.count) found, \(expected.count) expected")

                        var tallies = AttachmentCounts()
                        for attachment in expected {
                            tallies.total.add(count: 1, bytes: attachment.size)
                            for type in attachment.types { tallies.byType[type]!.add(count: 1, bytes: attachment.size) }
                        }
                        #expect(try await catalog.summarizeAttachments(filter) == tallies, "\(name) summary of '\(text)'")
                    }
                }
            }
            // The queries are not vacuous: each of these finds something, and dmitri never sees "random".
            let utc = TimeZone(identifier: "UTC")!
            for text in ["from:bob", "type:screenshot", "\"launch plan\"", "after:20150601", "larger:10MB", "cafe", "rep*"] {
                let filter = AttachmentFilter(try SearchQuery.parse(text), scope: data.rooms, timeZone: utc)
                #expect(try await !catalog.searchAttachments(filter, limit: 1, cursor: nil).items.isEmpty, "\(text)")
            }
            let dmitri = AttachmentFilter(try SearchQuery.parse(""), scope: data.rooms.filter { $0.members.contains("dmitri") },
                                          timeZone: utc)
            let random = data.rooms[3].id
            #expect(try await Self.everything(catalog, dmitri).allSatisfy { id in
                data.attachments.first { $0.id == id }?.room != random
            })
        }
    }

    /// Past `SQLiteSearch.mergedRoomLimit` rooms a search reads the table in its own order instead of merging the
    /// rooms' pages: the same answers either way.
    @Test func manyRoomsFindTheSameAsFew() async throws {
        let folder = try TemporaryFolder()
        let catalog = try await SQLiteCatalog.open(path: folder.path + "/catalog.sqlite")
        _ = try await catalog.createUser(name: "alice", role: .client, tokenDigest: "d", at: Date())
        var random = SplitMix64(seed: 7)
        var rooms: [Room] = []
        var all: [Attachment] = []
        for n in 0..<(SQLiteSearch.mergedRoomLimit + 8) {
            let room = Room(id: .make(), name: "room \(n)", creator: "alice", members: ["alice"], createdAt: Date())
            try await catalog.createRoom(room)
            rooms.append(room)
        }
        for n in 0..<300 {
            let kind = Self.kinds[random.next(below: Self.kinds.count)]
            let attachment = Attachment(
                id: .make(), room: rooms[random.next(below: rooms.count)].id,
                name: "\(Self.words[random.next(below: Self.words.count)])-\(n).\(kind.ext)", size: Int64(n),
                contentType: kind.type, sha256: ContentHash(bytes: (0..<32).map { _ in UInt8(random.next(below: 256)) })!,
                uploader: "alice", createdAt: Date(millis: 1_420_070_400_000 + Int64(n) * 1000))
            try await catalog.insertAttachment(attachment, releasing: nil)
            all.append(attachment)
        }
        for text in ["", "type:image", "report", "-ext:pdf larger:100", "in:\"room 3\" in:\"room 39\""] {
            for scope in [rooms, Array(rooms.prefix(5)), Array(rooms.prefix(SQLiteSearch.mergedRoomLimit + 1))] {
                let filter = AttachmentFilter(try SearchQuery.parse(text), scope: scope, timeZone: TimeZone(identifier: "UTC")!)
                let written = all
                let expected = try await offThePool { written.reversed().filter { filter.matches($0, messageTexts: []) }.map(\.id) }
                let found = try await Self.everything(catalog, filter)
                let same = found == expected
                #expect(same, "'\(text)' over \(scope.count) rooms: \(found.count) found, \(expected.count) expected")
            }
        }
        await catalog.close()
    }

    @Test func theDayBoundariesAreInclusiveAndFollowTheZone() async throws {
        let folder = try TemporaryFolder()
        let catalog = try await SQLiteCatalog.open(path: folder.path + "/catalog.sqlite")
        _ = try await catalog.createUser(name: "alice", role: .client, tokenDigest: "d", at: Date())
        let room = Room(id: .make(), name: "r", creator: "alice", members: ["alice"], createdAt: Date())
        try await catalog.createRoom(room)
        var names: [Int64: String] = [:]
        for (n, millis) in Self.edges.enumerated() {
            let attachment = Attachment(id: .make(), room: room.id, name: "edge\(n).txt", size: 1, contentType: "text/plain",
                                        sha256: ContentHash(bytes: [UInt8](repeating: UInt8(n), count: 32))!,
                                        uploader: "alice", createdAt: Date(millis: millis))
            try await catalog.insertAttachment(attachment, releasing: nil)
            names[millis] = attachment.name
        }
        func found(_ text: String, _ zone: String) async throws -> Set<String> {
            let filter = AttachmentFilter(try SearchQuery.parse(text), scope: [room], timeZone: TimeZone(identifier: zone)!)
            return Set(try await catalog.searchAttachments(filter, limit: 100, cursor: nil).items.map(\.name))
        }
        // 2015-05-01 in UTC: its first and last millisecond, not the ones either side.
        #expect(try await found("after:20150501 before:20150501", "UTC") == ["edge0.txt", "edge2.txt"])
        #expect(try await found("before:20150430", "UTC") == ["edge1.txt"])
        // 22:30Z on May 31 is June 1 in Berlin, and 21:59:59.999Z is still May 31 there.
        #expect(try await found("after:20150601", "Europe/Berlin") == ["edge4.txt", "edge6.txt"])
        #expect(try await found("after:20150601", "UTC") == [])
        #expect(try await found("before:20150531 after:20150531", "Europe/Berlin") == ["edge5.txt"])
        await catalog.close()
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
