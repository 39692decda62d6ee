import Foundation
import TackCore

/// A room as `GET /v1/rooms` lists it.
public struct RoomSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var creator: String
    public var members: [String]
}

/// An attachment as the API describes it.
public struct AttachmentSummary: Codable, Sendable, Equatable {
    public var id: String
    public var room: String
    public var name: String
    public var size: Int64
    public var contentType: String
    public var sha256: String
    public var uploader: String
    public var createdAt: String
    /// On an upload's answer: the SHA-256 of the bytes the server received (the stored bytes may differ when it
    /// removed metadata).
    public var receivedSha256: String?
    /// What `type:` finds it as (`image`, `screenshot`, …); absent from older servers.
    public var types: [String]?
}

/// One event of a room's live stream, as `tack watch` prints it.
public struct RoomEventMessage: Sendable, Equatable {
    public var id: String?
    public var kind: String
    /// The event's JSON, as sent.
    public var data: String
}

/// tackd's API over libcurl, with retries for network failures and 5xx answers.
public struct TackAPI: Sendable {
    public let config: ClientConfig
    public var session: HTTPSession
    public var retry: RetryPolicy
    /// Says what is happening between attempts (on stderr, in the CLI).
    public var log: @Sendable (String) -> Void = { _ in }

    public init(config: ClientConfig, session: HTTPSession = HTTPSession(), retry: RetryPolicy = RetryPolicy()) {
        self.config = config; self.session = session; self.retry = retry
    }

    public func rooms() throws(ClientError) -> [RoomSummary] {
        try decode(Listing<RoomSummary>.self, from: send(HTTPRequest(url: url("/v1/rooms")))).items
    }

    /// A room's attachments (every room's, without one), newest first, following the cursor: all of them, or
    /// those that match `query` (the platform's search syntax), at most `limit`.
    public func attachments(room: String?, query: String? = nil, limit: Int = .max) throws(ClientError) -> [AttachmentSummary] {
        var items: [AttachmentSummary] = []
        var cursor: String?
        let base = room.map { "/v1/rooms/\(escape($0))/attachments" } ?? "/v1/attachments"
        repeat {
            var path = base + "?limit=\(min(200, max(1, limit - items.count)))"
            if let query, !query.isEmpty {
                path += "&q=\(escape(query))"
                // Days in before:/after: are the user's own days.
                if TimeZone.current.identifier.contains("/") { path += "&tz=\(escape(TimeZone.current.identifier))" }
            }
            if let cursor { path += "&cursor=\(escape(cursor))" }
            let page = try decode(Listing<AttachmentSummary>.self, from: send(HTTPRequest(url: url(path))))
            items += page.items
            cursor = page.next
        } while cursor != nil && items.count < limit
        return items
    }

    public func room(_ id: String) throws(ClientError) -> RoomSummary {
        try decode(RoomSummary.self, from: send(HTTPRequest(url: url("/v1/rooms/\(escape(id))"))))
    }

    /// The id of the room `given` names: an id as it is, else a name or the start of one (see `RoomResolver`).
    public func roomID(_ given: String) throws(ClientError) -> String {
        if RoomResolver.isID(given) { return given }
        return try RoomResolver.resolve(given, among: rooms()).id
    }

    /// Follows a room's live events over one connection, calling `handle` for each until it returns false or the
    /// stream ends. `position` is the id of the last event seen: sent as `Last-Event-ID` and moved on as events are
    /// handled, also when the connection fails, so the caller reconnects from exactly there.
    public func events(room: String, after position: inout String?,
                       handle: @escaping @Sendable (RoomEventMessage) -> Bool) throws(ClientError) {
        // One parser per connection (a half-read event of a dropped one must not run into the next), and no retry
        // inside `send`: a retry would resend the old Last-Event-ID and show events twice.
        let parser = EventStreamParser(handle: handle)
        var once = self
        once.retry = RetryPolicy(attempts: 1)
        var headers = [("Accept", "text/event-stream")]
        if let position { headers.append(("Last-Event-ID", position)) }
        defer { position = parser.lastID ?? position }
        _ = try once.send(HTTPRequest(url: url("/v1/rooms/\(escape(room))/events"), headers: headers,
                                      sink: .stream { parser.feed($0) }))
    }

    public func attachment(_ id: String) throws(ClientError) -> AttachmentSummary {
        try decode(AttachmentSummary.self, from: send(HTTPRequest(url: url("/v1/attachments/\(escape(id))"))))
    }

    /// A link to an attachment that opens without a token for `ttl` seconds (the server's default when nil): the
    /// whole URL, and when it stops working (RFC 3339).
    public func signedLink(to id: String, ttl: Int64?, inline: Bool) throws(ClientError) -> (url: String, expiresAt: String) {
        var body: [String: Any] = ["disposition": inline ? "inline" : "attachment"]
        if let ttl { body["ttl"] = ttl }
        let json = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        let made = try decode(SignedLinkAnswer.self, from: send(HTTPRequest(
            method: "POST", url: url("/v1/attachments/\(escape(id))/link"),
            headers: [("Content-Type", "application/json")], body: .bytes(Array(json)))))
        return (url(made.url), made.expiresAt)
    }

    private struct SignedLinkAnswer: Decodable {
        var url: String
        var expiresAt: String
    }

    /// Streams a file into a room. The idempotency key makes a repeat (after a crash, say) return the first upload
    /// instead of adding the file twice.
    public func upload(_ path: String, size: Int64, name: String, contentType: String, sha256: ContentHash, room: String,
                       idempotencyKey: String, origin: String? = nil,
                       progress: ((Int64, Int64) -> Void)? = nil) throws(ClientError) -> AttachmentSummary {
        let request = HTTPRequest(
            method: "POST", url: url("/v1/rooms/\(escape(room))/attachments" + (origin.map { "?origin=\(escape($0))" } ?? "")),
            headers: [
                ("Content-Type", contentType),
                ("Content-Disposition", ContentDisposition.header(inline: false, fileName: name)),
                ("Content-Digest", ContentDigest.header(for: sha256)),
                ("Idempotency-Key", idempotencyKey),
            ],
            body: .file(path: path, size: size))
        return try decode(AttachmentSummary.self, from: send(request, progress: progress))
    }

    // Resumable uploads (tus 1.0.0): create, ask where it stands, send the rest.

    /// Where a resumable upload stands, as `GET /v1/uploads/{id}` says.
    public struct ResumableUploadState: Decodable, Sendable, Equatable {
        public var offset: Int64
        public var length: Int64?
        /// Set once the last byte arrived and the file became an attachment.
        public var attachment: String?
        /// SHA-256 of the bytes the server received, once complete.
        public var receivedSha256: String?
    }

    /// Creates a resumable upload of `size` bytes in `room`; returns its path (`/v1/uploads/upl_…`). A repeat with
    /// the same key (a retry whose answer was lost, a file re-sent after its upload expired) gets the upload the
    /// first made, or one already complete with the attachment the key made.
    public func createResumableUpload(room: String, size: Int64, name: String, contentType: String,
                                      origin: String?, idempotencyKey: String) throws(ClientError) -> String {
        var metadata = [("filename", name), ("filetype", contentType)]
        if let origin { metadata.append(("origin", origin)) }
        let response = try send(HTTPRequest(
            method: "POST", url: url("/v1/rooms/\(escape(room))/uploads"),
            headers: [("Tus-Resumable", Tus.version), ("Upload-Length", String(size)), ("Idempotency-Key", idempotencyKey),
                      ("Upload-Metadata", metadata.map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ","))]))
        guard let location = response.header("Location"), location.hasPrefix("/v1/uploads/") else {
            throw .unreachable("the server did not say where the resumable upload is; is \(config.server) a tackd?")
        }
        return location
    }

    public func resumableUpload(_ path: String) throws(ClientError) -> ResumableUploadState {
        try decode(ResumableUploadState.self, from: send(HTTPRequest(url: url(path))))
    }

    /// Sends a file's bytes from `offset` to its end in one PATCH; returns the attachment when these were the last.
    ///
    /// Tried once: after a failure the server may have kept part of the bytes, so the next try must start from the
    /// offset it gives (`resumableUpload`), not from here.
    public func appendResumable(_ path: String, file: String, size: Int64, from offset: Int64,
                                progress: ((Int64, Int64) -> Void)? = nil) throws(ClientError) -> String? {
        var once = self
        once.retry = RetryPolicy(attempts: 1)
        let response = try once.send(
            HTTPRequest(method: "PATCH", url: url(path),
                        headers: [("Tus-Resumable", Tus.version), ("Upload-Offset", String(offset)),
                                  ("Content-Type", Tus.chunkContentType)],
                        body: .fileRange(path: file, offset: offset, length: size - offset)),
            progress: progress.map { report in { done, _ in report(offset + done, size) } })
        return response.header("Tack-Attachment")
    }

    public func postMessage(room: String, text: String, attachments: [String], idempotencyKey: String) throws(ClientError) {
        let body: [String: Any] = ["text": text, "attachments": attachments]
        let json = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        _ = try send(HTTPRequest(method: "POST", url: url("/v1/rooms/\(escape(room))/messages"),
                                 headers: [("Content-Type", "application/json"), ("Idempotency-Key", idempotencyKey)],
                                 body: .bytes(Array(json))))
    }

    /// Sends a request, retrying per the policy; a 2xx answer is returned, a 4xx is `.refused`, and network failures
    /// or 5xx answers that outlast the retries are `.unreachable`.
    public func send(_ base: HTTPRequest, progress: ((Int64, Int64) -> Void)? = nil) throws(ClientError) -> HTTPResponse {
        // The one place the token is attached, so the one place that makes sure it never travels in clear.
        guard let server = ServerURL(config.server), server.allowsToken, base.url.hasPrefix(config.server + "/") else {
            throw .insecure("refusing to send the token in clear to \(base.url); use https://")
        }
        var request = base
        request.headers.append(("Authorization", "Bearer \(config.token)"))
        var attempt = 1
        while true {
            let outcome: RetryPolicy.Outcome
            let failure: String
            do {
                let response = try session.perform(request, progress: progress)
                if (200..<400).contains(response.status) { return response }
                let (code, message) = Self.errorBody(response)
                guard retry.shouldRetry(.status(response.status)) else {
                    throw ClientError.refused(status: response.status, code: code, message: message)
                }
                outcome = .status(response.status)
                failure = "the server failed (\(response.status) \(code)): \(message)"
            } catch let error as ClientError {
                throw error
            } catch TransferError.network(let text) {
                outcome = .networkFailure
                failure = "cannot reach \(config.server): \(text)"
            } catch {
                throw .local("\(error)")
            }
            guard attempt < retry.attempts, retry.shouldRetry(outcome) else { throw .unreachable(failure) }
            let wait = retry.delay(after: attempt, random: Double.random(in: 0..<1))
            log("\(failure); trying again in \(String(format: "%.1f", wait)) s (attempt \(attempt + 1) of \(retry.attempts))")
            Thread.sleep(forTimeInterval: wait)
            attempt += 1
        }
    }

    func url(_ path: String) -> String { config.server + path }

    /// Where an attachment's bytes are served, for programs (it needs the token).
    public func contentURL(of attachment: String) -> String { url("/v1/attachments/\(escape(attachment))/content") }

    /// The attachment in the web gallery: the link tack prints and copies, which any member can open in a browser.
    public func galleryURL(of attachment: String) -> String { url("/attachments/\(escape(attachment))") }

    private func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? segment
    }

    /// The API's listing envelope: `{"items": [...], "next": cursor}`.
    private struct Listing<Item: Decodable>: Decodable {
        var items: [Item]
        var next: String?
    }

    func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse) throws(ClientError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw .unreachable("the server's answer is not what tack expects (\(error)); is \(config.server) a tackd?")
        }
    }

    static func errorBody(_ response: HTTPResponse) -> (String, String) {
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
           let error = object["error"] as? [String: Any] {
            return (error["code"] as? String ?? "error", error["message"] as? String ?? "")
        }
        return ("http_\(response.status)", String(decoding: response.body.prefix(200), as: UTF8.self))
    }
}
