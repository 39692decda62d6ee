import HTTPTypes
import Hummingbird

/// How a browser signs in: the token in an HttpOnly, SameSite=Strict cookie, and the Origin check that keeps other
/// sites from making a signed-in browser change anything.
///
/// The cookie holds the API token itself rather than a session of its own: revoking the token (or removing the
/// user) signs every browser out at once, with no second kind of credential to keep, expire or revoke.
enum BrowserSession {
    static let cookieName = "tack_session"
    /// How long a browser stays signed in: thirty days, or until the token is revoked.
    static let maxAgeSeconds = 30 * 86_400

    /// The token from the request's `Cookie` headers, if one carries ours.
    static func token(in request: Request) -> String? {
        guard let value = request.cookies[cookieName]?.value, !value.isEmpty else { return nil }
        return value
    }

    /// `Set-Cookie` for signing in (with the token) or out (nil). `Secure` when the browser came over https (a TLS
    /// proxy in front says so with `X-Forwarded-Proto`).
    static func setCookie(_ token: String?, secure: Bool) -> String {
        var parts = ["\(cookieName)=\(token ?? "")", "Path=/", "HttpOnly", "SameSite=Strict",
                     "Max-Age=\(token == nil ? 0 : maxAgeSeconds)"]
        if secure { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    static func isSecure(_ request: Request) -> Bool {
        request.headers[.forwardedProto]?.lowercased() == "https"
    }

    /// True when the request's `Origin` names this very server (scheme aside: a TLS proxy changes it), as browsers
    /// send it on every POST and DELETE; a missing Origin is not same-origin.
    static func isSameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin], let host = request.head.authority?.lowercased() else { return false }
        guard let separator = origin.range(of: "://") else { return false }
        let authority = origin[separator.upperBound...].lowercased()
        return !authority.isEmpty && authority == host
    }

    /// Methods that change nothing, for which a cookie alone is enough.
    static func isSafe(_ method: HTTPRequest.Method) -> Bool { [.get, .head, .options].contains(method) }
}

extension HTTPField.Name {
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
