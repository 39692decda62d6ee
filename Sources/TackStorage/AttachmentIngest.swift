import Foundation
import NIOCore
import NIOFileSystem
import Synchronization
import TackCore

/// What is known about an upload once its bytes are staged: everything the catalog records with it.
public struct AttachmentFacts: Sendable {
    public var room: RoomID
    public var uploader: String
    /// The display name, already validated; nil lets tackd name it from the sniffed type.
    public var name: String?
    public var declaredType: String?
    /// True when the body was changed on its way in (JPEG metadata removed).
    public var metadataStripped = false
    /// True for a screenshot sent by `tack shot`.
    public var isScreenshot = false
    /// For linked files: where the bytes came from, and the attachment a refreshed version replaces.
    public var source: LinkSource?
    public var versionOf: AttachmentID?

    public init(room: RoomID, uploader: String, name: String?, declaredType: String?) {
        self.room = room
        self.uploader = uploader
        self.name = name
        self.declaredType = declaredType
    }
}

/// Bytes staged for an attachment: durable and hashed, with their first bytes for content sniffing.
public struct StagedUpload: Sendable {
    public let blob: StagedBlob
    public let prefix: [UInt8]

    public init(blob: StagedBlob, prefix: [UInt8]) {
        self.blob = blob
        self.prefix = prefix
    }
}

/// What recording an upload did.
public enum IngestOutcome: Sendable {
    /// A new attachment.
    case stored(Attachment)
    /// The uploader's idempotency key was recorded by an earlier (or concurrent) try: this is what it made.
    case repeated(IdempotentUpload)
}

/// How bytes become an attachment: stage (hash + write + fsync), then `BlobPublication` (pin, publish) and one
/// catalog transaction that records the attachment.
public struct AttachmentIngest: Sendable {
    public let blobs: any BlobStore
    public let catalog: any Catalog
    public var publication: BlobPublication

    public init(blobs: any BlobStore, catalog: any Catalog) {
        self.blobs = blobs
        self.catalog = catalog
        publication = BlobPublication(blobs: blobs, catalog: catalog)
    }

    /// Streams `body` into staging, hashing it once on the way; nothing is visible yet.
    public func stage<Body: AsyncSequence>(_ body: Body, limit: Int64) async throws -> StagedUpload
        where Body.Element == ByteBuffer
    {
        let sniffed = PrefixCapture(limit: ContentSniffer.prefixLength)
        let staged = try await blobs.stage(sniffed.wrap(body), limit: limit, expected: nil)
        return StagedUpload(blob: staged, prefix: sniffed.bytes)
    }

    /// Makes staged bytes an attachment: pin, publish, then one catalog transaction that records the attachment,
    /// charges `quota` and remembers `key`. The staged bytes are consumed whatever happens.
    public func record(_ staged: StagedUpload, facts: AttachmentFacts, quota: Int64?, key: UploadKey?) async throws
        -> IngestOutcome
    {
        let catalog = catalog
        return try await publication.publish(staged.blob) { pin in
            let contentType = ContentSniffer.sniff(prefix: staged.prefix, declared: facts.declaredType, name: facts.name)
            var attachment = Attachment(
                id: .make(), room: facts.room, name: facts.name ?? Self.defaultName(for: contentType),
                size: staged.blob.size, contentType: contentType, sha256: staged.blob.hash,
                uploader: facts.uploader, createdAt: Date(), source: facts.source, versionOf: facts.versionOf)
            attachment.metadataStripped = facts.metadataStripped
            attachment.isScreenshot = facts.isScreenshot
            if let earlier = try await catalog.insertAttachment(attachment, releasing: pin, quota: quota, key: key) {
                return .repeated(earlier)
            }
            return .stored(attachment)
        }
    }

    /// The first bytes of a local file, for content sniffing.
    public func prefix(of path: String) async throws -> [UInt8] {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            Array(try await handle.readChunk(fromAbsoluteOffset: 0, length: .bytes(Int64(ContentSniffer.prefixLength))).readableBytesView)
        }
    }

    /// Drops staged bytes that will not be recorded (the upload was refused after staging).
    public func discard(_ staged: StagedUpload) async {
        await blobs.discard(staged.blob)
    }

    static func defaultName(for contentType: String) -> String {
        switch contentType {
        case "image/png": "attachment.png"
        case "image/jpeg": "attachment.jpg"
        case "image/gif": "attachment.gif"
        case "image/webp": "attachment.webp"
        case "application/pdf": "attachment.pdf"
        case "application/zip": "attachment.zip"
        case _ where contentType.hasPrefix("text/plain"): "attachment.txt"
        default: "attachment"
        }
    }
}

/// Remembers the first bytes of a stream as it passes, for content sniffing without a second read.
final class PrefixCapture: Sendable {
    private let storage = Mutex<[UInt8]>([])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    var bytes: [UInt8] { storage.withLock { $0 } }

    func wrap<Base: AsyncSequence>(_ base: Base) -> PrefixCapturingSequence<Base> where Base.Element == ByteBuffer {
        PrefixCapturingSequence(base: base, capture: self)
    }

    func record(_ buffer: ByteBuffer) {
        storage.withLock { prefix in
            let missing = limit - prefix.count
            guard missing > 0 else { return }
            prefix += buffer.readableBytesView.prefix(missing)
        }
    }
}

struct PrefixCapturingSequence<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let capture: PrefixCapture

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let capture: PrefixCapture

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            capture.record(buffer)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), capture: capture) }
}


/// Named places where a test can make tackd die at once (`TACK_FAILPOINT=after-publish`), to prove that a
/// crash there loses or half-shows nothing. Inert unless the variable names the point.
public enum Failpoint {
    static let armed = ProcessInfo.processInfo.environment["TACK_FAILPOINT"]

    public static func hit(_ name: String) {
        guard armed == name else { return }
        kill(getpid(), SIGKILL)
    }
}
