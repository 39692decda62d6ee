import NIOCore
import Synchronization
import TackCore

/// The body of the `file` field of a `multipart/form-data` upload, streamed as it arrives.
///
/// Browsers upload this way; parsing as we go keeps memory bounded however large the file is, and the parser's
/// work is linear in the body, so no arrangement of bytes can make one upload hold a core.
struct MultipartFileSequence<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let boundary: String
    /// Most raw bytes read, framing and other fields included, so nothing around the file escapes the upload limit.
    let maxRawBytes: Int64
    /// The `filename` of the file field, filled in once its headers are parsed.
    let fileName: FileNameBox

    final class FileNameBox: Sendable {
        let value = Mutex<String?>(nil)
    }

    /// The boundary parameter of a `multipart/form-data` content type, or nil for other types.
    static func boundary(contentType: String) throws(TackError) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            var value = part.dropFirst("boundary=".count)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            if !value.isEmpty, value.count <= 70 { return String(value) }
        }
        throw .invalid(.invalidMultipart, "multipart/form-data needs a boundary parameter of 1 to 70 characters")
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var parser: MultipartParser
        let fileName: FileNameBox
        /// Events of the last chunk not yet handled, with the chunk their body ranges index into; `next` walks
        /// them with `position` instead of removing from the front, which would cost a copy per event.
        var events: [MultipartParser.Event] = []
        var chunk = ByteBuffer()
        var position = 0
        var inFile = false
        var sawFile = false
        var fileDone = false
        var rawBytes: Int64 = 0
        let maxRawBytes: Int64

        mutating func next() async throws -> ByteBuffer? {
            while true {
                while position < events.count {
                    let event = events[position]
                    position += 1
                    switch event {
                    case .part(let headers):
                        enterFileIfNamed(headers["content-disposition"])
                    case .body(let range):
                        if inFile { return chunk.getSlice(at: chunk.readerIndex + range.lowerBound, length: range.count) }
                    case .heldBody(let bytes):
                        if inFile { return ByteBuffer(bytes: bytes) }
                    case .partEnd:
                        if inFile { fileDone = true }
                        inFile = false
                    }
                }
                events.removeAll(keepingCapacity: true)
                position = 0
                guard let next = try await base.next() else {
                    do {
                        try parser.finish()
                    } catch {
                        throw TackError.invalid(.invalidMultipart, "the multipart/form-data body is malformed: \(error.message)")
                    }
                    guard sawFile, fileDone else {
                        throw TackError.invalid(.invalidMultipart, "the multipart body has no field named 'file'")
                    }
                    return nil
                }
                chunk = next
                rawBytes += Int64(chunk.readableBytes)
                if rawBytes > maxRawBytes {
                    throw TackError(.tooLarge, "the upload is larger than the limit")
                }
                // A non-throwing closure: Swift 6.3 crashes compiling a typed-throws one passed to withUnsafe….
                var failure: MultipartParser.Malformed?
                chunk.withUnsafeReadableBytes { bytes in
                    do throws(MultipartParser.Malformed) { try parser.feed(bytes, into: &events) } catch { failure = error }
                }
                if let failure {
                    throw TackError.invalid(.invalidMultipart, "the multipart/form-data body is malformed: \(failure.message)")
                }
            }
        }

        /// Parses a part's disposition once, when its headers are complete.
        private mutating func enterFileIfNamed(_ disposition: String?) {
            guard !sawFile, let disposition, let parameters = try? ContentDisposition.parameters(disposition),
                  parameters["name"] == "file"
            else { return }
            inFile = true
            sawFile = true
            let name = try? ContentDisposition.fileName(fromHeader: disposition)
            fileName.value.withLock { $0 = name ?? nil }
        }
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), parser: MultipartParser(boundary: boundary), fileName: fileName,
                 maxRawBytes: maxRawBytes)
    }

    /// Room for a browser's framing and small fields around a file of the largest allowed size.
    static var framingAllowance: Int64 { 64 * 1024 }
}
