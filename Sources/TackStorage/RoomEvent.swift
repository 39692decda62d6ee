import Foundation
import TackCore

/// Something that happened in a room, numbered in the order it happened, for members' live streams and for a
/// reconnecting stream to catch up on what it missed.
public struct RoomEvent: Sendable, Equatable {
    /// What happened; the raw values are the names streams send (`event:` in Server-Sent Events).
    public enum Kind: String, Sendable, CaseIterable {
        case attachmentCreated = "attachment.created"
        /// An image's thumbnails were made, or it was found not to be an image that can be thumbnailed.
        case attachmentThumbnailed = "attachment.thumbnailed"
        /// The file's text was read for search, or could not be (`text.state` says which).
        case attachmentTextRead = "attachment.text"
        case attachmentDeleted = "attachment.deleted"
        case messageCreated = "message.created"
        case memberAdded = "member.added"
        case memberRemoved = "member.removed"
    }

    /// Increases across all rooms; a stream's `Last-Event-ID`.
    public var seq: Int64
    public var room: RoomID
    public var kind: Kind
    /// Whom or what it concerns: an attachment's id, a message's id, a member's name.
    public var subject: String
    public var at: Date

    public init(seq: Int64, room: RoomID, kind: Kind, subject: String, at: Date) {
        self.seq = seq
        self.room = room
        self.kind = kind
        self.subject = subject
        self.at = at
    }
}

/// A room's events after a point, and whether some were already forgotten (the point is older than the catalog
/// keeps events): a stream that missed events must reload what it shows.
public struct RoomEventBatch: Sendable, Equatable {
    public var events: [RoomEvent]
    public var missedSome: Bool

    public init(events: [RoomEvent], missedSome: Bool) {
        self.events = events
        self.missedSome = missedSome
    }
}
