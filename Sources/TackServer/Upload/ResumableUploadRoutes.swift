import Foundation
import HTTPTypes
import Hummingbird
import TackCore
import TackStorage

/// The tus 1.0.0 endpoints: `POST /v1/rooms/{room}/uploads` creates an upload, `/v1/uploads/{id}` answers HEAD
/// (where it stands), PATCH (more bytes), DELETE (termination) and GET (a JSON summary); OPTIONS on either says
/// what this server speaks. Only the upload's creator, while a member of its room, sees it: others get 404.
struct ResumableUploadRoutes: Sendable {
    let uploads: ResumableUploads
    let catalog: any Catalog
    let limits: Limits
    let rateLimits: RateLimits
    var access: RoomAccess { RoomAccess(catalog: catalog) }
    /// `Upload-Metadata` holds a name, a type and a message; past this it is refused rather than stored.
    static let maxMetadataBytes = 64 << 10

    /// OPTIONS, outside authentication: it tells any client what the server supports and nothing about its data.
    func registerDiscovery(on router: Router<TackRequestContext>) {
        router.on("v1/rooms/{room}/uploads", method: .options, use: options)
        router.on("v1/uploads/{id}", method: .options, use: options)
    }

    func register(on router: RouterGroup<TackRequestContext>) {
        let tus = router.group().add(middleware: TusResumableHeader())
        tus.post("rooms/{room}/uploads", use: create)
        tus.head("uploads/{id}", use: head)
        tus.patch("uploads/{id}", use: patch)
        tus.delete("uploads/{id}", use: terminate)
        tus.get("uploads/{id}", use: show)
    }

    @Sendable func options(_ request: Request, context: TackRequestContext) async throws -> Response {
        Response(status: .noContent, headers: [
            .tusResumable: Tus.version, .tusVersion: Tus.version, .tusExtension: Tus.extensions.joined(separator: ","),
            .tusMaxSize: String(limits.maxUploadBytes), .tusChecksumAlgorithm: TusChecksum.advertised,
        ])
    }

    @Sendable func create(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await access.room(context.parameters.require("room"), visibleTo: user)
        try rateLimits.check(.upload, for: user.name)
        let length = try Tus.byteCount(request.headers[.uploadLength], name: "Upload-Length")
        let deferred = request.headers[.uploadDeferLength]
        guard (length == nil) != (deferred == nil), deferred == nil || deferred == "1" else {
            throw TackError.invalid(.invalidTusHeader, "send Upload-Length, or Upload-Defer-Length: 1 to give the length later")
        }
        var creation = try creation(request, room: room.id, uploader: user.name, length: length)
        creation.idempotencyKey = try IdempotencyKey.parse(request.headers[.idempotencyKey])
        let hasBody = JSONErrorMiddleware.mayHaveUnreadBody(request)
        if hasBody { try requireChunkType(request) }
        var upload = try await uploads.create(creation, at: Date())
        // creation-with-upload: the first bytes come with the creation; if they fail, the upload still exists at
        // offset 0 and the client resumes it like any other.
        if hasBody, upload.offset == 0, upload.attachment == nil {
            do {
                let appended = try await uploads.append(
                    request.body, to: upload, at: 0, newLength: nil, declaredChunk: declaredLength(request),
                    checksum: try TusChecksum.parse(request.headers[.uploadChecksum]))
                upload = appended.upload
                if appended.interrupted {
                    // The client went away before it could learn the upload's URL: nothing will resume it.
                    try? await uploads.terminateWhenIdle(upload)
                }
            } catch let error as TackError where error.category == .checksumMismatch {
                // The upload is made; only its first chunk was dropped.
                context.logger.debug("first chunk of \(upload.id) dropped: \(error)")
            } catch {
                // Refused: the client never learns the upload's URL, so it must not hold quota until it expires.
                try? await uploads.terminateWhenIdle(upload)
                throw error
            }
        }
        var headers = state(of: upload)
        headers[.location] = "/v1/uploads/\(upload.id)"
        return Response(status: .created, headers: headers)
    }

    private func creation(_ request: Request, room: RoomID, uploader: String, length: Int64?) throws -> ResumableUploads.Creation {
        let raw = request.headers[.uploadMetadata] ?? ""
        guard raw.utf8.count <= Self.maxMetadataBytes else {
            throw TackError.invalid(.invalidTusHeader, "Upload-Metadata is longer than \(Self.maxMetadataBytes) bytes")
        }
        let metadata = try TusMetadata.parse(raw)
        let name = try metadata.text("filename").flatMap { $0.isEmpty ? nil : try AttachmentName.validate($0, maxBytes: limits.maxNameBytes) }
        let type = try metadata.text("filetype").flatMap { $0.isEmpty ? nil : $0 }
        if let type, type.utf8.count > 255 || !type.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            throw TackError.invalid(.invalidTusHeader, "filetype must be a media type such as image/png")
        }
        let message = try metadata.text("message")
        if let message { try limits.checkMessage(message) }
        let origin = try metadata.text("origin") ?? "upload"
        guard origin == "upload" || origin == "screenshot" else {
            throw TackError.invalid(.invalidOrigin, "origin must be 'upload' or 'screenshot', not '\(origin)'")
        }
        return ResumableUploads.Creation(
            room: room, uploader: uploader, length: length, metadata: raw, name: name, declaredType: type,
            message: message, isScreenshot: origin == "screenshot")
    }

    @Sendable func head(_ request: Request, context: TackRequestContext) async throws -> Response {
        let upload = try await visibleUpload(context)
        var headers = state(of: upload)
        headers[.cacheControl] = "no-store"
        if let length = upload.length { headers[.uploadLength] = String(length) } else { headers[.uploadDeferLength] = "1" }
        if !upload.metadata.isEmpty { headers[.uploadMetadata] = upload.metadata }
        return Response(status: .ok, headers: headers)
    }

    @Sendable func patch(_ request: Request, context: TackRequestContext) async throws -> Response {
        let upload = try await visibleUpload(context)
        try requireChunkType(request)
        guard let offset = try Tus.byteCount(request.headers[.uploadOffset], name: "Upload-Offset") else {
            throw TackError.invalid(.invalidTusHeader, "a PATCH says where its bytes go with Upload-Offset")
        }
        let updated = try await uploads.append(
            request.body, to: upload, at: offset,
            newLength: try Tus.byteCount(request.headers[.uploadLength], name: "Upload-Length"),
            declaredChunk: declaredLength(request), checksum: try TusChecksum.parse(request.headers[.uploadChecksum]))
        return Response(status: .noContent, headers: state(of: updated.upload))
    }

    @Sendable func terminate(_ request: Request, context: TackRequestContext) async throws -> Response {
        try await uploads.terminateWhenIdle(try await visibleUpload(context))
        return Response(status: .noContent)
    }

    @Sendable func show(_ request: Request, context: TackRequestContext) async throws -> Response {
        let upload = try await visibleUpload(context)
        // The SHA-256 of the bytes as sent, which a client compares with its own (the attachment's may differ: JPEG
        // metadata is removed on the way in).
        let received = upload.attachment == nil ? nil : try await catalog.idempotentUpload(
            user: upload.uploader, key: ResumableUploads.completionKey(of: upload))?.received.hex
        return try JSONBody.response(UploadJSON(
            id: upload.id.rawValue, offset: upload.offset, length: upload.length, attachment: upload.attachment?.rawValue,
            receivedSha256: received, expiresAt: upload.expiresAt))
    }

    /// The upload if the caller made it, is still in its room, and it has not expired; else 404.
    private func visibleUpload(_ context: TackRequestContext) async throws -> ResumableUpload {
        let user = try context.requireUser()
        let raw = try context.parameters.require("id")
        guard let id = UploadID(validating: raw), let upload = try await catalog.resumableUpload(id),
              upload.uploader == user.name, upload.expiresAt > Date()
        else { throw TackError.notFound("upload '\(raw)'") }
        _ = try await access.room(upload.room.rawValue, visibleTo: user)
        return upload
    }

    private func requireChunkType(_ request: Request) throws {
        guard request.headers[.contentType]?.lowercased() == Tus.chunkContentType else {
            throw TackError(.notAChunk, "send the bytes with Content-Type: \(Tus.chunkContentType)")
        }
    }

    private func declaredLength(_ request: Request) -> Int64? {
        request.headers[.contentLength].flatMap { Int64($0) }
    }

    /// The headers every answer about an upload carries: where it stands, when it expires, what it became.
    private func state(of upload: ResumableUpload) -> HTTPFields {
        var headers: HTTPFields = [.uploadOffset: String(upload.offset)]
        if let attachment = upload.attachment {
            headers[.tackAttachment] = attachment.rawValue
        } else {
            headers[.uploadExpires] = HTTPDate.format(upload.expiresAt)
        }
        return headers
    }
}

/// `GET /v1/uploads/{id}`.
struct UploadJSON: Encodable {
    let id: String
    let offset: Int64
    let length: Int64?
    let attachment: String?
    let receivedSha256: String?
    let expiresAt: Date
}

/// The tus routes' version handshake, in one place: every request but the JSON summary (GET) must say
/// `Tus-Resumable: 1.0.0`, and every answer, refusals included (rendered here so they carry it), says it back.
struct TusResumableHeader: RouterMiddleware {
    typealias Context = TackRequestContext

    func handle(
        _ request: Request, context: TackRequestContext,
        next: (Request, TackRequestContext) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            if request.method != .get { try Tus.checkResumable(request.headers[.tusResumable]) }
            response = try await next(request, context)
        } catch {
            response = JSONErrorMiddleware.response(for: error, to: request, context: context)
        }
        response.headers[.tusResumable] = Tus.version
        if response.status == .preconditionFailed { response.headers[.tusVersion] = Tus.version }
        return response
    }
}

/// tus's `X-HTTP-Method-Override`, which the protocol requires a server to honour: clients behind proxies that pass
/// only GET and POST send a PATCH or DELETE of an upload as a POST naming it. Only for upload URLs, and only those
/// two methods, so nothing else can be reached by another name.
struct MethodOverride<Base: HTTPResponder>: HTTPResponder where Base.Context == TackRequestContext {
    typealias Context = TackRequestContext
    let base: Base

    func respond(to request: Request, context: TackRequestContext) async throws -> Response {
        guard request.method == .post, request.uri.path.hasPrefix("/v1/uploads/"),
              let raw = request.headers[.xHTTPMethodOverride]?.uppercased(),
              let method = ["PATCH": HTTPRequest.Method.patch, "DELETE": .delete][raw]
        else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = method
        return try await base.respond(to: Request(head: head, body: request.body), context: context)
    }
}

extension HTTPField.Name {
    static let xHTTPMethodOverride = HTTPField.Name("X-HTTP-Method-Override")!
    static let tusResumable = HTTPField.Name("Tus-Resumable")!
    static let tusVersion = HTTPField.Name("Tus-Version")!
    static let tusExtension = HTTPField.Name("Tus-Extension")!
    static let tusMaxSize = HTTPField.Name("Tus-Max-Size")!
    static let tusChecksumAlgorithm = HTTPField.Name("Tus-Checksum-Algorithm")!
    static let uploadLength = HTTPField.Name("Upload-Length")!
    static let uploadDeferLength = HTTPField.Name("Upload-Defer-Length")!
    static let uploadOffset = HTTPField.Name("Upload-Offset")!
    static let uploadMetadata = HTTPField.Name("Upload-Metadata")!
    static let uploadChecksum = HTTPField.Name("Upload-Checksum")!
    static let uploadExpires = HTTPField.Name("Upload-Expires")!
    /// The attachment a complete upload became.
    static let tackAttachment = HTTPField.Name("Tack-Attachment")!
}
