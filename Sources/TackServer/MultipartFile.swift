import MultipartKit
import NIOCore
import Synchronization
import TackCore

/// The body of the `file` field of a `multipart/form-data` upload, streamed as it arrives.
///
/// Browsers upload this way; parsing as we go keeps memory bounded however large the file is.
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
        throw .invalid("invalid_multipart", "multipart/form-data needs a boundary parameter of 1 to 70 characters")
    }

    final class Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let parser: MultipartParser
        let fileName: FileNameBox
        var pending: [ByteBuffer] = []
        var headers: [String: String] = [:]
        var inFile = false
        var sawFile = false
        var partDone = false
        var rawBytes: Int64 = 0
        let maxRawBytes: Int64

        init(base: Base.AsyncIterator, boundary: String, fileName: FileNameBox, maxRawBytes: Int64) {
            self.base = base
            self.parser = MultipartParser(boundary: boundary)
            self.fileName = fileName
            self.maxRawBytes = maxRawBytes
            parser.onHeader = { [unowned self] name, value in headers[name.lowercased()] = value }
            parser.onBody = { [unowned self] buffer in
                enterFileIfNamed()
                if inFile { pending.append(buffer) }
            }
            parser.onPartComplete = { [unowned self] in
                enterFileIfNamed() // an empty file part has no body callback at all
                if inFile { partDone = true }
                inFile = false
                headers = [:]
            }
        }

        private func enterFileIfNamed() {
            guard !inFile, !sawFile, Self.fieldName(headers["content-disposition"]) == "file" else { return }
            inFile = true
            sawFile = true
            let name = headers["content-disposition"].flatMap { try? ContentDisposition.fileName(fromHeader: $0) }
            fileName.value.withLock { $0 = name }
        }

        static func fieldName(_ disposition: String?) -> String? {
            guard let disposition else { return nil }
            return (try? ContentDisposition.parameters(disposition))?["name"]
        }

        func next() async throws -> ByteBuffer? {
            while true {
                if !pending.isEmpty { return pending.removeFirst() }
                guard let chunk = try await base.next() else {
                    guard sawFile, partDone else {
                        throw TackError.invalid(
                            "invalid_multipart", sawFile ? "the multipart body ends before the file part does"
                                : "the multipart body has no field named 'file'")
                    }
                    return nil
                }
                rawBytes += Int64(chunk.readableBytes)
                if rawBytes > maxRawBytes {
                    throw TackError(.tooLarge, code: "too_large", "the upload is larger than the limit")
                }
                do {
                    try parser.execute(chunk)
                } catch {
                    throw TackError.invalid("invalid_multipart", "the multipart/form-data body is malformed")
                }
            }
        }
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), boundary: boundary, fileName: fileName, maxRawBytes: maxRawBytes)
    }

    /// Room for a browser's framing and small fields around a file of the largest allowed size.
    static var framingAllowance: Int64 { 64 * 1024 }
}
