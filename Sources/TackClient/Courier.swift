import Foundation
import Synchronization
import TackCore

/// Delivers outbox entries: uploads each file not yet confirmed, posts the message, then removes the entry.
/// Progress is recorded after every confirmed file, and every request carries an idempotency key derived from the
/// entry, so an interrupted delivery resumes where it stopped and never adds a file or message twice.
public struct Courier: Sendable {
    public let api: TackAPI
    public let outbox: Outbox
    /// Gives each file's progress callback, or nil for silence.
    public var progress: @Sendable (OutboxRecord.Item) -> (@Sendable (Int64, Int64) -> Void)? = { _ in nil }
    /// Files of at least this many bytes go as resumable (tus) uploads, which a broken connection or a killed tack
    /// resumes from where the server's bytes end instead of from zero.
    public var resumableThreshold: Int64 = Courier.defaultResumableThreshold
    public static let defaultResumableThreshold: Int64 = 8 << 20

    public init(api: TackAPI, outbox: Outbox) {
        self.api = api; self.outbox = outbox
    }

    /// The ids of the entry's attachments, in order.
    public func deliver(_ original: OutboxEntry) throws(ClientError) -> [String] {
        guard let lock = outbox.lock(original) else {
            throw .local("the outbox entry \(original.record.id) is being sent by another tack")
        }
        defer { lock.release() }
        // Re-read under the lock: another process may have finished part of it.
        guard var entry = outbox.entry(id: original.record.id) else { return original.record.items.compactMap(\.attachment) }
        do throws(ClientError) {
            for index in entry.record.items.indices where entry.record.items[index].attachment == nil {
                let item = entry.record.items[index]
                guard let hash = ContentHash(hex: item.sha256) else { throw ClientError.local("the outbox record \(entry.record.id) is damaged") }
                let attachment: String
                if item.size >= resumableThreshold || item.upload != nil {
                    attachment = try sendResumable(index, of: &entry)
                } else {
                    let summary = try api.upload(entry.path(of: item), size: item.size, name: item.name, contentType: item.contentType,
                                                 sha256: hash, room: try room(of: &entry),
                                                 idempotencyKey: "tack-\(entry.record.id)-\(index)", origin: item.origin,
                                                 progress: progress(item))
                    guard (summary.receivedSha256 ?? summary.sha256) == item.sha256 else {
                        throw ClientError.unreachable("the server confirmed different bytes for \(item.name); it stays queued")
                    }
                    attachment = summary.id
                }
                Failpoint.hit("after-upload")
                entry.record.items[index].attachment = attachment
                try outbox.save(entry)
            }
            if let message = entry.record.message, !entry.record.messagePosted {
                try api.postMessage(room: try room(of: &entry), text: message, attachments: entry.record.items.compactMap(\.attachment),
                                    idempotencyKey: "tack-\(entry.record.id)-message")
                Failpoint.hit("after-message")
                entry.record.messagePosted = true
                try outbox.save(entry)
            }
        } catch {
            entry.record.lastError = error.description
            try? outbox.save(entry)
            throw error
        }
        outbox.remove(entry)
        return entry.record.items.compactMap(\.attachment)
    }

    /// Sends an item as a resumable upload: created once (its path kept in the entry), then asked how far it got and
    /// sent the rest, until the server makes it an attachment. A connection that breaks mid-file costs only the
    /// bytes the server had not synced; an upload that expired meanwhile is started again.
    private func sendResumable(_ index: Int, of entry: inout OutboxEntry) throws(ClientError) -> String {
        let item = entry.record.items[index]
        var failures = 0
        var restarts = 0
        while true {
            guard let path = entry.record.items[index].upload else {
                entry.record.items[index].upload = try api.createResumableUpload(
                    room: try room(of: &entry), size: item.size, name: item.name, contentType: item.contentType,
                    origin: item.origin, idempotencyKey: "tack-\(entry.record.id)-\(index)")
                try outbox.save(entry)
                continue
            }
            let state: TackAPI.ResumableUploadState
            do {
                state = try api.resumableUpload(path)
            } catch .refused(status: 404, _, _) where restarts < 2 {
                // Expired (upload_expiry_seconds) or ended on the server: its bytes are gone; start afresh.
                restarts += 1
                api.log("the server no longer has the upload of \(item.name); starting it again")
                entry.record.items[index].upload = nil
                try outbox.save(entry)
                continue
            }
            if let attachment = state.attachment {
                guard state.receivedSha256 == item.sha256 else {
                    throw ClientError.unreachable("the server confirmed different bytes for \(item.name); it stays queued")
                }
                return attachment
            }
            do {
                let report = progress(item)
                _ = try api.appendResumable(path, file: entry.path(of: item), size: item.size, from: state.offset) { done, total in
                    report?(done, total)
                    // A test's kill -9 at a known point of the file, not at a moment a loaded machine may miss.
                    if done * 10 >= total * 6 { Failpoint.hit("resumable-60-percent") }
                }
            } catch where failures + 1 < api.retry.attempts && Self.worthAskingAgain(error) {
                // The connection broke, or the server was still finishing the bytes of a PATCH that broke (409):
                // it knows best how far the file got.
                failures += 1
                let wait = api.retry.delay(after: failures, random: Double.random(in: 0..<1))
                api.log("\(error.description); asking the server how far \(item.name) got in \(String(format: "%.1f", wait)) s")
                Thread.sleep(forTimeInterval: wait)
            }
        }
    }

    static func worthAskingAgain(_ error: ClientError) -> Bool {
        switch error {
        case .unreachable: true
        case .refused(let status, _, _): status == 409
        case .local, .insecure: false
        }
    }

    /// The entry's room as an id. A room given by name (queued while offline, say) is looked up once, when the
    /// server can first be asked, and the id is kept in the entry, so later files of it go to the same room.
    private func room(of entry: inout OutboxEntry) throws(ClientError) -> String {
        guard !RoomResolver.isID(entry.record.room) else { return entry.record.room }
        entry.record.room = try api.roomID(entry.record.room)
        try outbox.save(entry)
        return entry.record.room
    }
}

/// Crash points for tests: `TACK_FAILPOINT=NAME` makes the process die at that point as abruptly as `kill -9`, and
/// `NAME#N` at its N-th passage (after the second of three files, say).
enum Failpoint {
    private static let passages = Mutex<[String: Int]>([:])

    static func hit(_ name: String) {
        guard let armed = ProcessInfo.processInfo.environment["TACK_FAILPOINT"] else { return }
        let parts = armed.split(separator: "#", maxSplits: 1)
        guard parts.first.map(String.init) == name else { return }
        let wanted = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
        let passage = passages.withLock { counts in
            counts[name, default: 0] += 1
            return counts[name, default: 0]
        }
        if passage == wanted { kill(getpid(), SIGKILL) }
    }
}
