import Foundation
import TackCore

/// One queued upload: files for a room, and the message to post with them. Saved as `record.json` beside the files.
public struct OutboxRecord: Codable, Sendable, Equatable {
    public var id: String
    public var room: String
    public var message: String?
    public var createdAt: Date
    public var items: [Item]
    public var messagePosted = false
    /// The last failure, shown by `tack outbox`.
    public var lastError: String?

    /// A file of the entry; `attachment` is set once the server has confirmed the same SHA-256.
    public struct Item: Codable, Sendable, Equatable {
        public var name: String
        public var file: String
        public var sha256: String
        public var size: Int64
        public var contentType: String
        public var attachment: String?
        /// `screenshot` for a capture by `tack shot` (the server's `type:screenshot`); nil for other files.
        public var origin: String?
        /// A large file's resumable upload (`/v1/uploads/upl_…`), once created: a later flush asks it how far the
        /// bytes got and sends only the rest.
        public var upload: String?
    }

    public var isDelivered: Bool {
        items.allSatisfy { $0.attachment != nil } && (message == nil || messagePosted)
    }
}

/// An entry as it lies in the outbox folder.
public struct OutboxEntry: Sendable {
    public let directory: String
    public var record: OutboxRecord

    public func path(of item: OutboxRecord.Item) -> String { "\(directory)/\(item.file)" }
}

/// The offline outbox under `$XDG_DATA_HOME/tack/outbox`: every capture and every queued file is written here
/// (fsynced) before any upload starts, and an entry goes away only once the server has confirmed each file's SHA-256.
/// Entries appear whole or not at all: they are built in a `.draft-*` folder and renamed into place.
public struct Outbox: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func draft(room: String, message: String?) throws(ClientError) -> OutboxDraft {
        let id = Self.newID()
        let path = "\(directory)/.draft-\(id)"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .local("cannot create the outbox entry \(path): \(error.localizedDescription)")
        }
        return OutboxDraft(outbox: self, directory: path,
                           // Whole seconds: what the ISO 8601 record keeps, so a record reads back equal.
                           record: OutboxRecord(id: id, room: room, message: message,
                                                createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)),
                                                items: []))
    }

    /// Builds an entry with `fill` and commits it; if `fill` fails, the draft is deleted and nothing is queued.
    public func enqueue(room: String, message: String?,
                        _ fill: (OutboxDraft) throws(ClientError) -> Void) throws(ClientError) -> OutboxEntry {
        let draft = try draft(room: room, message: message)
        do {
            try fill(draft)
            return try draft.commit()
        } catch {
            draft.discard()
            throw error
        }
    }

    /// Complete entries, oldest first. Drafts a killed process left behind are not entries: they never finished,
    /// and after a day they are deleted.
    public func entries() -> [OutboxEntry] {
        sweepAbandonedDrafts(olderThan: 24 * 3600)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
            let path = "\(directory)/\(name)"
            guard let data = FileManager.default.contents(atPath: "\(path)/record.json"),
                  let record = try? Self.decoder.decode(OutboxRecord.self, from: data) else { return nil }
            return OutboxEntry(directory: path, record: record)
        }
    }

    /// A draft is written in seconds; one untouched for `age` seconds belongs to a process that died mid-capture.
    func sweepAbandonedDrafts(olderThan age: TimeInterval, now: Date = Date()) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(".draft-") {
            let path = "\(directory)/\(name)"
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) > age else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    public func entry(id: String) -> OutboxEntry? { entries().first { $0.record.id == id } }

    /// Records progress (an item confirmed, an error) so a later flush resumes instead of repeating.
    public func save(_ entry: OutboxEntry) throws(ClientError) {
        do {
            try AtomicFile.write(Self.encoder.encode(entry.record), to: "\(entry.directory)/record.json", mode: 0o600)
        } catch {
            throw .local("cannot update the outbox entry \(entry.directory): \(error)")
        }
    }

    /// Deletes a delivered entry: the record first, so a crash half-way leaves files that no longer form an entry.
    public func remove(_ entry: OutboxEntry) {
        unlink("\(entry.directory)/record.json")
        try? FileManager.default.removeItem(atPath: entry.directory)
        AtomicFile.syncDirectory(of: entry.directory)
    }

    /// An exclusive lock on an entry while it is delivered, so two flushes never upload the same entry at once.
    /// It is released when the returned lock is closed or the process ends, however it ends.
    public func lock(_ entry: OutboxEntry) -> EntryLock? {
        let fd = open(entry.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return EntryLock(descriptor: fd)
    }

    static func newID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(formatter.string(from: Date()))-\(String(repeating: "0", count: 8 - suffix.count))\(suffix)"
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// Holds an entry's flock until closed.
public final class EntryLock {
    private var descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    public func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}

/// An entry being built; nothing of it is visible in the outbox until `commit`.
public final class OutboxDraft {
    let outbox: Outbox
    public let directory: String
    public private(set) var record: OutboxRecord

    init(outbox: Outbox, directory: String, record: OutboxRecord) {
        self.outbox = outbox; self.directory = directory; self.record = record
    }

    /// Adds a file that `write` produces into the descriptor it is given (a capture being encoded, say); it is
    /// hashed from disk afterwards, since the writer's bytes pass through C code that tack does not see.
    @discardableResult
    public func add(name: String, contentType: String, origin: String? = nil,
                    write: (Int32) throws -> Void) throws(ClientError) -> OutboxRecord.Item {
        let file = try create { fd in try write(fd) }
        let (hash, size) = try FileIO.digest(of: "\(directory)/\(file)")
        var item = append(name: name, file: file, sha256: hash, size: size, contentType: contentType)
        if let origin {
            item.origin = origin
            record.items[record.items.count - 1].origin = origin
        }
        return item
    }

    /// Copies a file in, hashing it on the way; the copy is what gets uploaded, so later edits to the original
    /// cannot change what was queued.
    @discardableResult
    public func add(copying source: String, name: String, contentType: String) throws(ClientError) -> OutboxRecord.Item {
        var copied: (sha256: ContentHash, size: Int64)?
        let file = try create { fd in copied = try FileIO.copy(source, to: fd) }
        return append(name: name, file: file, sha256: copied!.sha256, size: copied!.size, contentType: contentType)
    }

    /// A new data file, filled by `fill` and fsynced; returns its name inside the draft.
    private func create(_ fill: (Int32) throws -> Void) throws(ClientError) -> String {
        let file = "\(record.items.count)-data"
        let path = "\(directory)/\(file)"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .local("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            try fill(fd)
            guard fsync(fd) == 0 else { throw POSIXFailure("fsync \(path)") }
        } catch let error as ClientError {
            throw error
        } catch {
            throw .local("cannot write \(path): \(error)")
        }
        return file
    }

    private func append(name: String, file: String, sha256: ContentHash, size: Int64, contentType: String) -> OutboxRecord.Item {
        let item = OutboxRecord.Item(name: name, file: file, sha256: sha256.hex, size: size, contentType: contentType)
        record.items.append(item)
        return item
    }

    /// Makes the entry visible: record written and synced, then the folder renamed into place.
    public func commit() throws(ClientError) -> OutboxEntry {
        let final = "\(outbox.directory)/\(record.id)"
        do {
            try AtomicFile.write(Outbox.encoder.encode(record), to: "\(directory)/record.json", mode: 0o600)
        } catch {
            throw .local("cannot write the outbox record: \(error)")
        }
        guard rename(directory, final) == 0 else {
            throw .local("cannot commit the outbox entry \(final): \(String(cString: strerror(errno)))")
        }
        AtomicFile.syncDirectory(of: final)
        return OutboxEntry(directory: final, record: record)
    }

    public func discard() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
