import Foundation
import Synchronization
import Testing
@testable import TackClient

@Suite struct RoomResolverTests {
    private let rooms = [
        RoomSummary(id: "room_aaaaaaaaaaaaaaaaaaaaaaaaaa", name: "Room for Project A", creator: "c", members: []),
        RoomSummary(id: "room_bbbbbbbbbbbbbbbbbbbbbbbbbb", name: "Room for Project B", creator: "c", members: []),
        RoomSummary(id: "room_cccccccccccccccccccccccccc", name: "design", creator: "c", members: []),
        RoomSummary(id: "room_dddddddddddddddddddddddddd", name: "Design Review", creator: "c", members: []),
    ]

    @Test func byIDNameOrAUniquePrefix() throws {
        #expect(try RoomResolver.resolve("room_cccccccccccccccccccccccccc", among: rooms).name == "design")
        #expect(try RoomResolver.resolve("room for project b", among: rooms).id == rooms[1].id)
        #expect(try RoomResolver.resolve("Design", among: rooms).id == rooms[2].id, "an exact name beats a longer one it starts")
        #expect(try RoomResolver.resolve("design r", among: rooms).id == rooms[3].id)
    }

    @Test func ambiguousOrUnknownSaysSo() {
        #expect(throws: ClientError.self) { try RoomResolver.resolve("Room for", among: rooms) }
        do {
            _ = try RoomResolver.resolve("Room", among: rooms)
            Issue.record("resolved an ambiguous prefix")
        } catch {
            #expect(error.description.contains("Room for Project A") && error.description.contains("Room for Project B"))
        }
        do {
            _ = try RoomResolver.resolve("kitchen", among: rooms)
            Issue.record("resolved an unknown room")
        } catch {
            #expect(error.description.contains("tack rooms"))
        }
        #expect(RoomResolver.isID("room_aaaaaaaaaaaaaaaaaaaaaaaaaa"))
        #expect(!RoomResolver.isID("Room for Project A"))
    }
}

@Suite struct EventStreamParserTests {
    private let stream = """
        retry: 3000
        : connected

        id: 7
        event: attachment.created
        data: {"room":"r","attachment":{"name":"a b.png"}}

        : heartbeat

        id: 8
        event: member.removed
        data: {"user":"fred"}


        """

    private func parse(in pieces: [[UInt8]]) -> [RoomEventMessage] {
        let seen = Mutex<[RoomEventMessage]>([])
        let parser = EventStreamParser { event in seen.withLock { $0.append(event) }; return true }
        for piece in pieces { #expect(parser.feed(piece)) }
        return seen.withLock { $0 }
    }

    @Test func eventsComeWholeHoweverTheBytesArrive() {
        let bytes = Array(stream.utf8)
        let whole = parse(in: [bytes])
        #expect(whole.map(\.kind) == ["attachment.created", "member.removed"])
        #expect(whole.map(\.id) == ["7", "8"])
        #expect(whole[0].data == #"{"room":"r","attachment":{"name":"a b.png"}}"#)
        for size in [1, 2, 3, 7, 64] {
            let pieces = stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
            #expect(parse(in: pieces) == whole, "in pieces of \(size)")
        }
        let crlf = Array(stream.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        #expect(parse(in: [crlf]) == whole)
    }

    @Test func theHandlerCanStopTheStream() {
        let parser = EventStreamParser { _ in false }
        #expect(!parser.feed(Array(stream.utf8)))
        #expect(parser.lastID == "7")
        #expect(!parser.feed(Array("id: 9\nevent: x\ndata: {}\n\n".utf8)))
    }
}
