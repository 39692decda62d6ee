import Foundation
import NIOCore
import Synchronization
import TackCore

/// What the uploader says about a file; the bytes decide the rest.
public struct IngestRequest: Sendable {
    public var room: RoomID
    public var uploader: String
    /// The display name, already validated; nil lets tackd name it from the sniffed type.
    public var name: String?
    public var declaredType: String?
    public var expectedDigest: ContentHash?
    public var limit: Int64
    /// True when the body was transformed on its way in (JPEG metadata removed).
    public var metadataStripped: @Sendable () -> Bool = { false }
    /// Checks the body as received once it has streamed in (a client's digest of the original bytes).
    public var verify: @Sendable () throws -> Void = {}
    /// For linked files: where the bytes came from.
    public var source: LinkSource?
    public var versionOf: AttachmentID?

    public init(room: RoomID, uploader: String, name: String?, declaredType: String?,
                expectedDigest: ContentHash?, limit: Int64) {
        self.room = room
        self.uploader = uploader
        self.name = name
        self.declaredType = declaredType
        self.expectedDigest = expectedDigest
        self.limit = limit
    }
}

/// Turns a streamed body into an attachment: stage and hash, pin, publish, record.
///
/// The order is what makes uploads crash-safe and garbage collection safe to run alongside: the bytes are
/// durable before the catalog names them, and the pin keeps a concurrent collector from deleting a blob that a
/// deduplicated upload is about to reference.
public struct AttachmentIngest: Sendable {
    public let blobs: any BlobStore
    public let catalog: any Catalog
    /// How long a pin lasts if the upload dies between publishing and recording.
    public var pinLifetime: Duration = .seconds(3600)

    public init(blobs: any BlobStore, catalog: any Catalog) {
        self.blobs = blobs
        self.catalog = catalog
    }

    /// `nameFromBody` is called after the body is consumed, for formats (multipart) that carry the name inside
    /// it; it may refuse the name, and then nothing is stored.
    public func ingest<Body: AsyncSequence>(
        _ body: Body, request: IngestRequest, nameFromBody: () throws -> String? = { nil }
    ) async throws -> Attachment where Body.Element == ByteBuffer {
        let sniffed = PrefixCapture(limit: ContentSniffer.prefixLength)
        let staged = try await blobs.stage(
            sniffed.wrap(body), limit: request.limit, expected: request.expectedDigest)
        do {
            try request.verify()
            let name = try request.name ?? nameFromBody()
            let pin = try await catalog.pin(staged.hash, until: Date().addingTimeInterval(pinLifetime.seconds))
            do {
                _ = try await blobs.publish(staged)
                Failpoint.hit("after-publish")
                let contentType = ContentSniffer.sniff(prefix: sniffed.bytes, declared: request.declaredType, name: name)
                var attachment = Attachment(
                    id: .make(), room: request.room, name: name ?? Self.defaultName(for: contentType),
                    size: staged.size, contentType: contentType, sha256: staged.hash,
                    uploader: request.uploader, createdAt: Date(), source: request.source, versionOf: request.versionOf)
                attachment.metadataStripped = request.metadataStripped()
                try await catalog.insertAttachment(attachment, releasing: pin)
                return attachment
            } catch {
                try? await catalog.releasePin(pin)
                throw error
            }
        } catch {
            await blobs.discard(staged)
            throw error
        }
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

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
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
