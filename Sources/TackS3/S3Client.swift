import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import TackCore

/// The S3 operations Tack needs, signed with SigV4 and sent with AsyncHTTPClient; every key is relative to the
/// location's prefix.
///
/// Bodies go up as buffers the caller bounds (a part at most) and come down as a stream, so memory stays bounded
/// whatever the object's size.
public final class S3Client: Sendable {
    public let location: S3Location
    let signer: SigV4Signer
    let http: HTTPClient
    /// XML answers (errors, listings) are small; anything past this is not a well-behaved store.
    static let maxXMLBytes = 8 << 20

    public init(location: S3Location, credentials: S3Credentials) {
        self.location = location
        signer = SigV4Signer(credentials: credentials, region: location.region)
        http = Self.transport
    }

    /// One connection pool for every client in the process, never shut down (AsyncHTTPClient traps when a client
    /// is released unshut, and a blob store has no moment to shut one down). A dead endpoint fails the connect
    /// within 5 s; a store that stops answering mid-transfer fails after 2 minutes of silence.
    static let transport: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(120)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    // MARK: Objects

    /// Stores `body` at `key` in one request; the store checks it against the signed SHA-256.
    public func putObject(_ key: String, body: ByteBuffer) async throws {
        let hash = Self.sha256Hex(body)
        _ = try await send(.PUT, key: key, body: body, payloadHash: hash, operation: "PUT \(key)")
    }

    /// Stores `body` at `key` unless an object is there already (`If-None-Match: *`); false when one was. A store
    /// that ignores the condition overwrites instead, which for content-addressed keys writes the same bytes.
    public func putObjectIfAbsent(_ key: String, body: ByteBuffer) async throws -> Bool {
        do {
            _ = try await send(.PUT, key: key, headers: [("if-none-match", "*")], body: body,
                               payloadHash: Self.sha256Hex(body), operation: "PUT \(key)")
            return true
        } catch S3Error.service(status: 412, _, _, _) {
            return false
        }
    }

    /// The object's size, or nil when there is none.
    public func size(of key: String) async throws -> Int64? {
        do {
            let response = try await send(.HEAD, key: key, operation: "HEAD \(key)")
            return response.headers.first(name: "content-length").flatMap { Int64($0) }
        } catch let error as S3Error where error.isNotFound {
            return nil
        }
    }

    /// Streams the object (or the inclusive `range` of it) to `consumer` chunk by chunk.
    public func read(
        _ key: String, range: ClosedRange<Int64>?, into consumer: (ByteBuffer) async throws -> Void
    ) async throws {
        var headers: [(String, String)] = []
        if let range { headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        let response = try await send(.GET, key: key, headers: headers, operation: "GET \(key)", keepBody: true)
        for try await chunk in response.body {
            try await consumer(chunk)
        }
    }

    /// Deletes the object; deleting what is not there succeeds, as in S3.
    public func delete(_ key: String) async throws {
        _ = try await send(.DELETE, key: key, operation: "DELETE \(key)")
    }

    /// Server-side copy of an object of at most 5 GiB; false when `source` does not exist.
    @discardableResult
    public func copy(_ source: String, to destination: String) async throws -> Bool {
        do {
            let response = try await send(
                .PUT, key: destination, headers: [("x-amz-copy-source", copySource(source))],
                operation: "COPY \(source) to \(destination)", keepBody: true)
            _ = try S3Responses.copyETag(try await xml(response, operation: "COPY \(source)"))
            return true
        } catch let error as S3Error where error.isNotFound {
            return false
        }
    }

    // MARK: Multipart uploads

    public func createMultipartUpload(_ key: String) async throws -> String {
        let response = try await send(
            .POST, key: key, query: [("uploads", "")], operation: "CreateMultipartUpload \(key)", keepBody: true)
        return try S3Responses.uploadID(try await xml(response, operation: "CreateMultipartUpload \(key)"))
    }

    /// Sends part `number` (from 1) and returns its ETag.
    public func uploadPart(_ key: String, uploadID: String, number: Int, body: ByteBuffer) async throws -> String {
        let response = try await send(
            .PUT, key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)], body: body,
            payloadHash: Self.sha256Hex(body), operation: "UploadPart \(number) of \(key)")
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error.unexpectedResponse("an ETag for part \(number)", got: "none")
        }
        return etag
    }

    /// Copies bytes `range` of `source` as part `number` of an upload, server side.
    public func uploadPartCopy(
        _ key: String, uploadID: String, number: Int, source: String, range: ClosedRange<Int64>
    ) async throws -> String {
        let operation = "UploadPartCopy \(number) of \(key)"
        let response = try await send(
            .PUT, key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)],
            headers: [("x-amz-copy-source", copySource(source)),
                      ("x-amz-copy-source-range", "bytes=\(range.lowerBound)-\(range.upperBound)")],
            operation: operation, keepBody: true)
        return try S3Responses.copyETag(try await xml(response, operation: operation))
    }

    public func completeMultipartUpload(_ key: String, uploadID: String, etags: [String]) async throws {
        let body = ByteBuffer(string: S3Responses.completeMultipartBody(etags))
        let operation = "CompleteMultipartUpload \(key)"
        let response = try await send(
            .POST, key: key, query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")],
            body: body, payloadHash: Self.sha256Hex(body), operation: operation, keepBody: true)
        // S3 may answer 200 and still fail: the error is then in the body.
        let root = try await xml(response, operation: operation)
        if let (code, message) = S3Responses.error(root) {
            throw S3Error.service(status: 200, code: code, message: message, operation: operation)
        }
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        do {
            _ = try await send(
                .DELETE, key: key, query: [("uploadId", uploadID)], operation: "AbortMultipartUpload \(key)")
        } catch let error as S3Error where error.isNotFound {
            return
        }
    }

    // MARK: Listings

    /// Every object whose key starts with `prefix`, page by page.
    public func objects(withPrefix prefix: String, pageSize: Int = 1000) async throws -> [S3Object] {
        var all: [S3Object] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", location.prefix + prefix), ("max-keys", "\(pageSize)")]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send(.GET, key: nil, query: query, operation: "ListObjectsV2 \(prefix)", keepBody: true)
            let page = try S3Responses.listing(
                try await xml(response, operation: "ListObjectsV2 \(prefix)"), removing: location.prefix)
            all += page.objects
            token = page.nextToken
        } while token != nil
        return all
    }

    /// Multipart uploads begun under `prefix` and neither completed nor aborted.
    public func pendingUploads(withPrefix prefix: String, pageSize: Int = 1000) async throws -> [S3PendingUpload] {
        var all: [S3PendingUpload] = []
        var markers: (key: String, upload: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", location.prefix + prefix), ("max-uploads", "\(pageSize)")]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.upload)] }
            let response = try await send(.GET, key: nil, query: query, operation: "ListMultipartUploads", keepBody: true)
            let page = try S3Responses.uploadListing(
                try await xml(response, operation: "ListMultipartUploads"), removing: location.prefix)
            all += page.uploads
            markers = page.nextKeyMarker.map { ($0, page.nextUploadIDMarker ?? "") }
        } while markers != nil
        return all
    }

    /// Creates the bucket; one that this account owns already is fine.
    public func createBucket() async throws {
        do {
            _ = try await send(.PUT, key: nil, operation: "CreateBucket \(location.bucket)")
        } catch let error as S3Error {
            guard case .service(_, "BucketAlreadyOwnedByYou", _, _) = error else { throw error }
        }
    }

    /// Proves the bucket exists and the keys may list it, so a misconfiguration stops start-up with its reason; a
    /// store that accepts the connection and never answers fails after `limit`.
    public func checkAccess(within limit: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.checkAccess() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw S3Error.unreachable(
                    endpoint: "\(self.location.scheme)://\(self.location.requestHost)", reason: "no answer within \(limit)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    public func checkAccess() async throws {
        let query = [("list-type", "2"), ("prefix", location.prefix), ("max-keys", "1")]
        let response = try await send(.GET, key: nil, query: query, operation: "ListObjectsV2 of \(location.bucket)",
                                      keepBody: true)
        _ = try await xml(response, operation: "ListObjectsV2")
    }

    // MARK: Requests

    func copySource(_ key: String) -> String {
        "/\(location.bucket)/\(URIEncoding.encode(location.prefix + key, keepingSlash: true))"
    }

    /// Signs and sends one request; a non-2xx answer becomes `S3Error.service` with the store's code and message.
    /// The body of a successful answer is drained unless `keepBody`.
    func send(
        _ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: ByteBuffer? = nil, payloadHash: String = SigV4Signer.emptyPayloadHash, operation: String,
        keepBody: Bool = false
    ) async throws -> HTTPClientResponse {
        let path = location.encodedPath(key: key)
        let queryString = query
            .map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }
            .joined(separator: "&")
        let amzDate = SigV4Signer.amzDate(Date())
        var signed: [(name: String, value: String)] = [
            ("host", location.requestHost), ("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash),
        ]
        signed += headers.map { (name: $0.0, value: $0.1) }
        let authorization = signer.authorization(
            SignableRequest(method: method.rawValue, encodedPath: path, query: query.map { (name: $0.0, value: $0.1) },
                            headers: signed, payloadHash: payloadHash),
            amzDate: amzDate)

        var request = HTTPClientRequest(
            url: "\(location.scheme)://\(location.requestHost)\(path)\(queryString.isEmpty ? "" : "?" + queryString)")
        request.method = method
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        request.headers.add(name: "authorization", value: authorization)
        if let body {
            request.body = .bytes(body)
        } else if method == .PUT || method == .POST {
            request.headers.add(name: "content-length", value: "0")
        }

        var attempt = 1
        while true {
            do {
                return try await exchange(request, method: method, operation: operation, keepBody: keepBody)
            } catch where attempt < Self.attempts && method != .POST && Self.isTransient(error) {
                // A store that is busy or dropped a kept-alive connection: the request is resent whole (every body
                // here is a buffer). POSTs (creating and completing multipart uploads) are not resent blindly.
                try await Task.sleep(for: .milliseconds(Int.random(in: 50...150) * (1 << (2 * (attempt - 1)))))
                attempt += 1
            } catch let error as S3Error {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch {
                throw S3Error.unreachable(endpoint: "\(location.scheme)://\(location.requestHost)", reason: "\(error)")
            }
        }
    }

    /// Tries per request, the first included.
    static let attempts = 3

    /// Worth trying again: the store's own trouble (5xx, `SlowDown`), a conditional write racing another
    /// (409), or a connection that closed under the request. Not a connection that could not be made.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case S3Error.service(let status, let code, _, _):
            return [500, 502, 503, 504, 409].contains(status) || code == "SlowDown"
        case let error as HTTPClientError:
            return error == .remoteConnectionClosed
        case let error as IOError:
            return error.errnoCode == ECONNRESET || error.errnoCode == EPIPE
        default:
            return false
        }
    }

    /// One try: the store's answer, `S3Error.service` for a refusal, or the transport's own error.
    func exchange(
        _ request: HTTPClientRequest, method: HTTPMethod, operation: String, keepBody: Bool
    ) async throws -> HTTPClientResponse {
        let response = try await http.execute(request, deadline: .distantFuture)
        guard (200..<300).contains(response.status.code) else {
            let data = method == .HEAD ? nil : try? await response.body.collect(upTo: 1 << 20)
            let root = data.flatMap { S3XMLElement.parse(Data($0.readableBytesView)) }
            let (code, message) = root.flatMap(S3Responses.error) ?? ("", "")
            throw S3Error.service(status: Int(response.status.code), code: code, message: message, operation: operation)
        }
        if !keepBody {
            for try await _ in response.body {}
        }
        return response
    }

    func xml(_ response: HTTPClientResponse, operation: String) async throws -> S3XMLElement {
        let data = try await response.body.collect(upTo: Self.maxXMLBytes)
        guard let root = S3XMLElement.parse(Data(data.readableBytesView)) else {
            throw S3Error.unexpectedResponse("XML for \(operation)", got: String(buffer: data))
        }
        return root
    }

    static func sha256Hex(_ buffer: ByteBuffer) -> String {
        buffer.withUnsafeReadableBytes { SHA256.hash(data: $0).hexString }
    }
}
