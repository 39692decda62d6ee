import Foundation
import HTTPTypes
import Hummingbird
import TackImage
import TackCore
import TackStorage

/// Uploading, listing, reading and deleting attachments.
struct AttachmentRoutes: Sendable {
    let catalog: any Catalog
    let blobs: any BlobStore
    /// Thumbnails' bytes, served from memory.
    let blobCache: BlobCache
    /// Rooms' attachment pages as rendered JSON.
    let pages: PageCache
    let limits: Limits
    let thumbnails: ThumbnailService
    let followUps: FollowUps
    let uploads: UploadPipeline
    let rateLimits: RateLimits
    let signer: LinkSigner
    /// The longest a signed link may live, in seconds.
    let maxLinkSeconds: Int64
    var access: RoomAccess { RoomAccess(catalog: catalog) }

    func register(on router: RouterGroup<TackRequestContext>) {
        router.post("rooms/{room}/attachments", use: upload)
        router.get("rooms/{room}/attachments", use: list)
        router.get("attachments/{id}", use: show)
        router.get("attachments/{id}/content", use: content)
        router.head("attachments/{id}/content", use: content)
        router.get("attachments/{id}/thumbnail", use: thumbnail)
        router.get("attachments/{id}/text", use: text)
        router.post("attachments/{id}/link", use: createLink)
        router.delete("attachments/{id}", use: delete)
    }

    @Sendable func upload(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await access.room(context.parameters.require("room"), visibleTo: user)
        try rateLimits.check(.upload, for: user.name)
        let contentType = request.headers[.contentType]
        let boundary = try contentType.flatMap { try MultipartFileSequence<RequestBody>.boundary(contentType: $0) }
        let framing = boundary == nil ? 0 : MultipartFileSequence<RequestBody>.framingAllowance
        let key = try IdempotencyKey.parse(request.headers[.idempotencyKey])
        let (quota, used) = try await uploads.quota(of: user.name)
        // The whole request is checked before a retry is recognised: a retry is the same, valid request.
        var upload = Upload(
            room: room.id, uploader: user.name, limit: limits.maxUploadBytes, quota: quota,
            name: boundary == nil ? try headerName(request) ?? queryName(request) : try queryName(request),
            declaredType: boundary == nil ? contentType : nil,
            expectedDigest: try ContentDigest.sha256(fromHeader: request.headers[.contentDigest]),
            idempotencyKey: key)
        upload.isScreenshot = try origin(request) == "screenshot"
        if let key, let earlier = try await catalog.idempotentUpload(user: user.name, key: key) {
            let result = try await uploads.repeated(earlier, room: room.id)
            try await drain(request.body, limit: limits.maxUploadBytes + framing)
            return try uploadResponse(result)
        }
        try uploads.precheck(
            declaredLength: request.headers[.contentLength].flatMap { Int64($0) }, framing: framing, upload: upload, used: used)
        let result: UploadResult
        if let boundary {
            let fileName = MultipartFileSequence<RequestBody>.FileNameBox()
            let file = MultipartFileSequence(base: request.body, boundary: boundary,
                                             maxRawBytes: limits.maxUploadBytes + framing, fileName: fileName)
            let maxNameBytes = limits.maxNameBytes
            result = try await uploads.run(file, upload) {
                try fileName.value.withLock { $0 }.map { try AttachmentName.validate($0, maxBytes: maxNameBytes) }
            }
        } else {
            result = try await uploads.run(request.body, upload)
        }
        if result.isNew {
            await followUps.prepare(result.attachment)
            context.logger.info("stored attachment", metadata: [
                "attachment": "\(result.attachment.id)", "room": "\(room.id)", "size": "\(result.attachment.size)",
                "sha256": "\(result.attachment.sha256.hex)",
            ])
        }
        return try uploadResponse(result)
    }

    private func uploadResponse(_ result: UploadResult) throws -> Response {
        var json = AttachmentJSON(result.attachment, reading: followUps.texts.reading)
        json.receivedSha256 = result.received.hex
        var response = JSONBody.response(writing: json, status: result.isNew ? .created : .ok)
        response.headers[.location] = "/v1/attachments/\(result.attachment.id)"
        return response
    }

    /// Reads and drops a body whose answer is already known (a retried upload), within the upload limit.
    private func drain(_ body: RequestBody, limit: Int64) async throws {
        var read: Int64 = 0
        for try await chunk in body {
            read += Int64(chunk.readableBytes)
            if read > limit { throw TackError(.tooLarge, "the upload is larger than the limit of \(limit) bytes") }
        }
    }

    private func headerName(_ request: Request) throws -> String? {
        guard let header = request.headers[.contentDisposition],
              let raw = try ContentDisposition.fileName(fromHeader: header)
        else { return nil }
        return try AttachmentName.validate(raw, maxBytes: limits.maxNameBytes)
    }

    /// Where the file comes from: `upload` (the default) or `screenshot` (`tack shot`), which `type:screenshot` finds.
    private func origin(_ request: Request) throws -> String {
        guard let raw = request.uri.queryParameters["origin"] else { return "upload" }
        guard raw == "upload" || raw == "screenshot" else {
            throw TackError.invalid(.invalidOrigin, "origin must be 'upload' or 'screenshot', not '\(raw)'")
        }
        return String(raw)
    }

    private func queryName(_ request: Request) throws -> String? {
        // Hummingbird has already percent-decoded query values.
        guard let raw = request.uri.queryParameters["name"] else { return nil }
        return try AttachmentName.validate(String(raw), maxBytes: limits.maxNameBytes)
    }

    @Sendable func list(_ request: Request, context: TackRequestContext) async throws -> Response {
        let room = try await access.room(context.parameters.require("room"), visibleTo: context.requireUser())
        if request.uri.queryParameters["q"] != nil || request.uri.queryParameters["tz"] != nil {
            return try await SearchRoutes(catalog: catalog, limits: limits, reading: followUps.texts.reading).search(request, in: room)
        }
        let (limit, cursor) = try Paging.parse(request, limits: limits)
        let (catalog, reading) = (self.catalog, followUps.texts.reading)
        let body = try await pages.page(PageCache.Key(room: room.id, limit: limit, cursor: cursor)) {
            let page = try await catalog.attachments(in: room.id, limit: limit, cursor: cursor)
            let json = JSONWriter.bytes(of: PageJSON(items: page.items.map { AttachmentJSON($0, reading: reading) }, next: page.next?.token),
                                        capacity: 512 * page.items.count + 64)
            return PageCache.Entry(body: ByteBuffer(bytes: json), files: Set(page.items.map(\.sha256)))
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    @Sendable func show(_ request: Request, context: TackRequestContext) async throws -> Response {
        let (attachment, _) = try await access.attachment(context.parameters.require("id"), visibleTo: context.requireUser())
        return JSONBody.response(writing: AttachmentJSON(attachment, reading: followUps.texts.reading))
    }

    @Sendable func thumbnail(_ request: Request, context: TackRequestContext) async throws -> Response {
        let (attachment, _) = try await access.attachment(context.parameters.require("id"), visibleTo: context.requireUser())
        return try await thumbnailResponse(attachment, request, size: request.uri.queryParameters["size"].map(String.init))
    }

    /// The text read out of the file (what search finds it by), for the room's members.
    @Sendable func text(_ request: Request, context: TackRequestContext) async throws -> Response {
        let (attachment, _) = try await access.attachment(context.parameters.require("id"), visibleTo: context.requireUser())
        let wasRead = attachment.text.map { $0.failure == nil } ?? false
        let stored = wasRead ? try await catalog.text(of: attachment.sha256) : nil
        // Still pending: queued again if it never was (a full queue, a file stored before tackd read text); a job
        // already queued stays as it is.
        if attachment.text == nil { await followUps.texts.prepare(attachment) }
        return JSONBody.response(writing: AttachmentTextJSON(
            attachment: attachment.id.rawValue, state: AttachmentJSON.TextState(attachment, reading: followUps.texts.reading), text: stored?.text))
    }

    /// An attachment's thumbnail of `size` (text as the request gave it; the first configured size when nil).
    func thumbnailResponse(_ attachment: Attachment, _ request: Request, size: String?, crossOrigin: Bool = false) async throws
        -> Response
    {
        let query = request.uri.queryParameters
        let size = try size.map { raw in
            guard let size = Int(raw) else { throw TackError.invalid(.invalidSize, "size must be a whole number") }
            return size
        } ?? thumbnails.sizes[0]
        let method = try query["method"].map { raw in
            guard let method = ThumbnailMethod(rawValue: String(raw)) else {
                throw TackError.invalid(.invalidMethod, "method is scale or crop")
            }
            return method
        } ?? .scale
        let stored = try await thumbnails.thumbnail(of: attachment, size: size, method: method)
        let etag = "\"\(stored.blob.hex)\""
        var headers: HTTPFields = [
            .eTag: etag, .contentType: stored.contentType, .cacheControl: "private, no-cache",
            .xContentTypeOptions: "nosniff", .contentSecurityPolicy: "default-src 'none'; sandbox",
            .contentDisposition: ContentDisposition.header(inline: true, fileName: "thumbnail-\(size).\(stored.contentType == "image/png" ? "png" : "jpg")"),
        ]
        if crossOrigin { headers[.crossOriginResourcePolicy] = "cross-origin" }
        if let ifNoneMatch = request.headers[.ifNoneMatch], DownloadPlan.matches(ifNoneMatch, etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        if let bytes = try await blobCache.bytes(of: stored.blob, in: blobs) {
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes))
        }
        guard let length = try await blobs.size(of: stored.blob) else { throw BlobStoreError.missing(stored.blob) }
        let blobs = self.blobs
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
            try await blobs.read(stored.blob, range: nil) { try await writer.write($0) }
            try await writer.finish(nil)
        })
    }

    @Sendable func delete(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let (attachment, room) = try await access.attachment(context.parameters.require("id"), visibleTo: user)
        guard AccessPolicy.canDelete(attachment, in: room, as: user.name) else {
            throw TackError(.notAllowed, "only the uploader (\(attachment.uploader)) or the room's creator (\(room.creator)) may delete it")
        }
        _ = try await catalog.deleteAttachment(attachment.id)
        return Response(status: .noContent)
    }

    @Sendable func content(_ request: Request, context: TackRequestContext) async throws -> Response {
        let (attachment, _) = try await access.attachment(context.parameters.require("id"), visibleTo: context.requireUser())
        return contentResponse(attachment, request)
    }

    /// A link anyone holding it may open until it expires, made by a member who can see the attachment.
    @Sendable func createLink(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let (attachment, _) = try await access.attachment(context.parameters.require("id"), visibleTo: user)
        let body = try await JSONBody.decode(CreateLink.self, from: request, limit: limits.maxJSONBytes)
        let ttl = body.ttl ?? min(3600, maxLinkSeconds)
        guard (1...maxLinkSeconds).contains(ttl) else {
            throw TackError.invalid(.invalidTTL, "ttl is seconds from 1 to \(maxLinkSeconds) (signed_link_max_seconds)")
        }
        let disposition = try body.disposition.map { raw in
            guard let disposition = SignedLink.Disposition(rawValue: raw) else {
                throw TackError.invalid(.invalidDisposition, "disposition is inline or attachment")
            }
            return disposition
        } ?? .attachment
        let expires = Int64(Date().timeIntervalSince1970) + ttl
        let link = SignedLink(attachment: attachment.id, expires: expires, disposition: disposition,
                              creator: user.name, keyID: "")
        return try JSONBody.response(
            LinkJSON(url: try await signer.sign(link), expiresAt: Date(timeIntervalSince1970: Double(expires))),
            status: .created)
    }

    /// The attachment's bytes with Range, conditional requests and the headers that keep browsers safe.
    func contentResponse(_ attachment: Attachment, _ request: Request, inline: Bool? = nil, crossOrigin: Bool = false)
        -> Response
    {
        let plan = DownloadPlan(
            attachment: attachment, method: request.method == .head ? .head : .get,
            range: request.headers[.range], ifRange: request.headers[.ifRange],
            ifNoneMatch: request.headers[.ifNoneMatch], inline: inline, crossOrigin: crossOrigin)
        var headers = HTTPFields()
        for (name, value) in plan.headers where !(plan.bytes != nil && name == "Content-Length") {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        if plan.status == 416 {
            var response = JSONErrorMiddleware.response(for: TackError(
                .rangeNotSatisfiable, "the requested range is outside the file's \(attachment.size) bytes"))
            response.headers[.contentRange] = "bytes */\(attachment.size)"
            return response
        }
        guard let range = plan.bytes else {
            return Response(status: .init(code: plan.status), headers: headers)
        }
        let blobs = self.blobs
        let hash = attachment.sha256
        let whole = range == 0...(attachment.size - 1)
        return Response(
            status: .init(code: plan.status), headers: headers,
            body: ResponseBody(contentLength: Int(range.count)) { writer in
                try await blobs.read(hash, range: whole ? nil : range) { chunk in try await writer.write(chunk) }
                try await writer.finish(nil)
                TackMetrics.bytesSent.increment(by: Int64(range.count))
            })
    }
}

/// `POST /v1/attachments/{id}/link`'s body: seconds the link lives, and how it opens.
struct CreateLink: Decodable {
    var ttl: Int64?
    var disposition: String?
}

/// A signed link: a path on this server (the client knows the server's address; tackd may sit behind a proxy that
/// gives it another) and when it stops working.
struct LinkJSON: Encodable {
    let url: String
    let expiresAt: Date
}

extension HTTPField.Name {
    /// RFC 9530; not among swift-http-types' predefined names.
    static let contentDigest = HTTPField.Name("Content-Digest")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
