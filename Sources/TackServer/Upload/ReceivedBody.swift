import Crypto
import NIOCore
import Synchronization
import TackCore
import TackImage

/// What the body learned on its way in, read once it has streamed through.
final class ReceivedFacts: Sendable {
    private let state = Mutex<(hasher: SHA256?, stripped: Bool)>((nil, false))

    /// SHA-256 of the bytes as the client sent them, when they differ from what is stored (metadata was removed);
    /// nil when the stored bytes are the received ones, whose hash the blob store computes anyway.
    var receivedDigest: ContentHash? {
        state.withLock { facts in facts.stripped ? facts.hasher.flatMap { ContentHash(bytes: $0.finalize()) } : nil }
    }

    var metadataStripped: Bool { state.withLock { $0.stripped } }

    fileprivate func startHashing() { state.withLock { $0.hasher = SHA256() } }

    fileprivate func received(_ buffer: ByteBuffer) {
        state.withLock { facts in
            guard facts.hasher != nil else { return }
            buffer.withUnsafeReadableBytes { facts.hasher!.update(bufferPointer: $0) }
        }
    }

    fileprivate func markStripped() { state.withLock { $0.stripped = true } }
}

/// The upload body as it will be stored: JPEG metadata removed as it streams when asked.
///
/// The bytes are hashed once, by the blob store. Only a JPEG that is being stripped is hashed a second time here,
/// as received, because the client's `Content-Digest` and `receivedSha256` speak of the bytes it sent.
struct ReceivedBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let stripMetadata: Bool
    let facts: ReceivedFacts

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var stripper: JPEGMetadataStripper?
        let facts: ReceivedFacts
        var started = false
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            while !finished {
                guard let chunk = try await base.next() else {
                    finished = true
                    // A JPEG that ends before its picture does, or whose header cannot be cleaned, is refused
                    // (invalid_image) rather than stored with its metadata.
                    if let rest = try stripper?.end(), !rest.isEmpty { return ByteBuffer(bytes: rest) }
                    return nil
                }
                if !started {
                    started = true
                    if stripper != nil, ReceivedBody.mayStrip(firstByte: chunk.readableBytesView.first) { facts.startHashing() } else { stripper = nil }
                }
                facts.received(chunk)
                guard var stripper, !stripper.isDone else { return chunk }
                let out = try stripper.strip(Array(chunk.readableBytesView))
                if stripper.stripped { facts.markStripped() }
                self.stripper = stripper
                if !out.isEmpty { return ByteBuffer(bytes: out) }
            }
            return nil
        }
    }

    /// Only JPEGs are stripped (they start with 0xFF); everything else passes untouched and unhashed.
    static func mayStrip(firstByte: UInt8?) -> Bool { firstByte == 0xFF }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), stripper: stripMetadata ? JPEGMetadataStripper() : nil, facts: facts)
    }
}
