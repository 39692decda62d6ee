import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: room events for live streams.
extension SQLiteCatalog {
    public func latestRoomEvent() async throws -> Int64 {
        try await readRows("SELECT seq FROM sqlite_sequence WHERE name = 'room_events'", [])
            .first.map { try SQLiteColumns($0).int64("seq") } ?? 0
    }

    public func roomEvents(in room: RoomID, after seq: Int64, limit: Int) async throws -> RoomEventBatch {
        try await readers.with { connection in
            // One statement each, on one connection, but the oldest kept event is only ever pruned forward: if it is
            // past `seq` + 1 when read after the events, some were forgotten whichever order the two reads saw.
            let rows = try await connection.query("""
                SELECT seq, room_id, kind, subject, at FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?
                """, [.text(room.rawValue), .integer(Int(seq)), .integer(limit)])
            let oldest = try await connection.query("""
                SELECT COALESCE((SELECT MIN(seq) FROM room_events),
                                (SELECT seq + 1 FROM sqlite_sequence WHERE name = 'room_events'), 1) AS oldest
                """, []).first.map { try SQLiteColumns($0).int64("oldest") } ?? 1
            let events = try rows.compactMap { row -> RoomEvent? in
                let columns = SQLiteColumns(row)
                // A kind a newer tackd wrote is skipped, not an error.
                guard let kind = RoomEvent.Kind(rawValue: try columns.text("kind")) else { return nil }
                return RoomEvent(seq: try columns.int64("seq"), room: RoomID(rawValue: try columns.text("room_id")),
                                 kind: kind, subject: try columns.text("subject"),
                                 at: Date(millis: try columns.int64("at")))
            }
            return RoomEventBatch(events: events, missedSome: seq + 1 < oldest)
        }
    }
}
