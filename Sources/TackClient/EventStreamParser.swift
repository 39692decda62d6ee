import Foundation
import Synchronization

/// Reads Server-Sent Events as they arrive in pieces (the WHATWG rules tackd's streams use: `id:`, `event:`,
/// `data:` lines, comments, a blank line ending each event) and hands each complete event on.
public final class EventStreamParser: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var lastID: String?
        var stopped = false
    }

    private let state = Mutex(State())
    private let handle: @Sendable (RoomEventMessage) -> Bool

    public init(handle: @escaping @Sendable (RoomEventMessage) -> Bool) { self.handle = handle }

    /// The id of the last event handed on.
    public var lastID: String? { state.withLock { $0.lastID } }

    /// Takes the next bytes; false once the handler asked to stop.
    public func feed(_ bytes: [UInt8]) -> Bool {
        var events: [RoomEventMessage] = []
        let stopped: Bool = state.withLock { state in
            state.pending += bytes
            while let end = Self.blockEnd(in: state.pending) {
                let block = String(decoding: state.pending[..<end.start], as: UTF8.self)
                state.pending.removeSubrange(..<end.next)
                if let event = Self.parse(block) { events.append(event) }
            }
            return state.stopped
        }
        if stopped { return false }
        for event in events {
            state.withLock { $0.lastID = event.id ?? $0.lastID }
            guard handle(event) else {
                state.withLock { $0.stopped = true }
                return false
            }
        }
        return true
    }

    /// Where the first blank line is: the end of an event's text, and where the next one starts.
    private static func blockEnd(in bytes: [UInt8]) -> (start: Int, next: Int)? {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 0x0A, bytes[index + 1] == 0x0A { return (index, index + 2) }
            if index + 3 < bytes.count, bytes[index] == 0x0D, bytes[index + 1] == 0x0A, bytes[index + 2] == 0x0D,
               bytes[index + 3] == 0x0A {
                return (index, index + 4)
            }
            index += 1
        }
        return nil
    }

    /// An event from its lines; nil for a block of comments alone (heartbeats) or without an `event:`.
    static func parse(_ block: String) -> RoomEventMessage? {
        var id: String?
        var kind: String?
        var data: [String] = []
        for line in block.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            guard !line.hasPrefix(":") else { continue }
            let field = line.prefix { $0 != ":" }
            var value = line.dropFirst(field.count).dropFirst()
            if value.hasPrefix(" ") { value = value.dropFirst() }
            switch field {
            case "id": id = String(value)
            case "event": kind = String(value)
            case "data": data.append(String(value))
            default: break
            }
        }
        guard let kind else { return nil }
        return RoomEventMessage(id: id, kind: kind, data: data.joined(separator: "\n"))
    }
}
