import Crypto
import NIOCore
import Synchronization
import TackCore
import TackImage

/// What the transforms of an upload body learned once the body has streamed through.
final class BodyFacts: Sendable {
    private let state = Mutex<(hasher: SHA256, stripped: Bool)>((SHA256(), false))

    /// SHA-256 of the bytes as the client sent them (before metadata stripping changed them).
    var receivedDigest: ContentHash { state.withLock { ContentHash(bytes: $0.hasher.finalize())! } }
    var metadataStripped: Bool { state.withLock { $0.stripped } }

    func received(_ buffer: ByteBuffer) {
        state.withLock { facts in buffer.withUnsafeReadableBytes { facts.hasher.update(bufferPointer: $0) } }
    }

    func markStripped() { state.withLock { $0.stripped = true } }
}

/// Hashes the body as received and, when asked, removes JPEG metadata as it streams.
struct UploadBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let stripMetadata: Bool
    let facts: BodyFacts

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var stripper: JPEGMetadataStripper?
        let facts: BodyFacts
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            while !finished {
                guard let chunk = try await base.next() else {
                    finished = true
                    if let rest = stripper?.finish(), !rest.isEmpty { return ByteBuffer(bytes: rest) }
                    return nil
                }
                facts.received(chunk)
                guard var stripper, !stripper.isDone else { return chunk }
                let out = stripper.feed(Array(chunk.readableBytesView))
                if stripper.stripped { facts.markStripped() }
                self.stripper = stripper
                if !out.isEmpty { return ByteBuffer(bytes: out) }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), stripper: stripMetadata ? JPEGMetadataStripper() : nil, facts: facts)
    }
}
