import Foundation
import HTTPTypes
import Hummingbird
import TackCore
import TackStorage

/// The web gallery, served by tackd itself: sign in and out, the rooms page, a room's page, and the two static
/// files that make them work.
struct GalleryRoutes: Sendable {
    let catalog: any Catalog
    let maxFormBytes: Int

    func register(on router: Router<TackRequestContext>) {
        router.get("/", use: home)
        router.post("session", use: signIn)
        router.delete("session", use: signOut)
        router.get("rooms/{room}", use: room)
        router.get("attachments/{id}", use: attachment)
        router.get("static/gallery.js") { request, _ in GalleryAssets.script.response(to: request) }
        router.get("static/gallery.css") { request, _ in GalleryAssets.style.response(to: request) }
    }

    /// The signed-in user, or nil when the browser has no valid session.
    private func user(_ request: Request) async throws -> User? {
        guard let token = BrowserSession.token(in: request) else { return nil }
        return try await catalog.user(forTokenDigest: Tokens.digest(token))
    }

    @Sendable func home(_ request: Request, context: TackRequestContext) async throws -> Response {
        guard try await user(request) != nil else {
            return Self.html(GalleryPages.signIn(next: Self.localPath(request.uri.queryParameters["next"].map(String.init))))
        }
        return Self.html(GalleryPages.rooms())
    }

    @Sendable func room(_ request: Request, context: TackRequestContext) async throws -> Response {
        guard let user = try await user(request) else { return Self.signInFirst(request) }
        let raw = try context.parameters.require("room")
        guard let id = RoomID(validating: raw), let room = try await catalog.room(id), AccessPolicy.canSee(room, as: user.name) else {
            return Self.html(GalleryPages.notFound(), status: .notFound)
        }
        return Self.html(GalleryPages.room(room.id.rawValue))
    }

    /// An attachment's gallery link (what `tack` prints after an upload): its room's page, with it open.
    @Sendable func attachment(_ request: Request, context: TackRequestContext) async throws -> Response {
        guard let user = try await user(request) else { return Self.signInFirst(request) }
        let raw = try context.parameters.require("id")
        guard let id = AttachmentID(validating: raw), let attachment = try await catalog.attachment(id),
              let room = try await catalog.room(attachment.room), AccessPolicy.canSee(room, as: user.name)
        else {
            return Self.html(GalleryPages.notFound(), status: .notFound)
        }
        var response = Response(status: .seeOther)
        response.headers[.location] = "/rooms/\(room.id.rawValue)?open=\(attachment.id.rawValue)"
        return response
    }

    /// To the sign-in form, and back here after it.
    static func signInFirst(_ request: Request) -> Response {
        var response = Response(status: .seeOther)
        let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        response.headers[.location] = "/?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
        return response
    }

    /// `POST /session` with `{"token": "…"}` (from a script: 200 with the user) or the sign-in form (a 303 to where
    /// the browser was going).
    @Sendable func signIn(_ request: Request, context: TackRequestContext) async throws -> Response {
        if request.headers[.origin] != nil, !BrowserSession.isSameOrigin(request) {
            throw TackError(.csrf, "sign in from tackd's own page")
        }
        let isForm = request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
        let body = try await request.body.collect(upTo: maxFormBytes)
        let token: String
        var next = "/"
        if isForm {
            struct SignInForm: Decodable { let token: String?; let next: String? }
            let form = try? URLEncodedFormDecoder().decode(SignInForm.self, from: String(buffer: body))
            token = form?.token ?? ""
            next = Self.localPath(form?.next)
        } else {
            struct SignIn: Decodable { let token: String }
            guard let decoded = try? JSONDecoder().decode(SignIn.self, from: Data(buffer: body)) else {
                throw TackError.invalid(.invalidJSON, #"send {"token": "…"} or the sign-in form"#)
            }
            token = decoded.token
        }
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, let user = try await catalog.user(forTokenDigest: Tokens.digest(trimmed)) else {
            if isForm {
                return Self.html(GalleryPages.signIn(next: next, error: "That token is not valid (or was revoked)."),
                                 status: .unauthorized)
            }
            throw TackError.unauthenticated
        }
        let cookie = BrowserSession.setCookie(trimmed, secure: BrowserSession.isSecure(request))
        if isForm {
            var response = Response(status: .seeOther)
            response.headers[.location] = next
            response.headers[.setCookie] = cookie
            return response
        }
        var response = try JSONBody.response(["name": user.name], status: .ok)
        response.headers[.setCookie] = cookie
        return response
    }

    @Sendable func signOut(_ request: Request, context: TackRequestContext) async throws -> Response {
        guard BrowserSession.isSameOrigin(request) else {
            throw TackError(.csrf, "sign out from tackd's own page")
        }
        var response = Response(status: .noContent)
        response.headers[.setCookie] = BrowserSession.setCookie(nil, secure: BrowserSession.isSecure(request))
        return response
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .contentSecurityPolicy: GalleryPages.contentSecurityPolicy,
            .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin", .cacheControl: "no-store",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Where to go after signing in: a path on this server, never another site (`//evil.example`, `https://…`).
    /// Browsers drop tabs and newlines from a URL and read `\` as `/`, so `/\t/evil.example` is `//evil.example` to
    /// them: any control character or backslash makes it the front page.
    static func localPath(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"),
              !raw.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" })
        else { return "/" }
        return raw
    }

}
