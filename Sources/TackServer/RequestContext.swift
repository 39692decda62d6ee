import Hummingbird
import TackCore

/// Per-request state: Hummingbird's core storage plus the authenticated user.
public struct TackRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: User?
    /// The digest of the token the caller signed in with, so a long answer (a live stream) can notice its revocation.
    public var tokenDigest: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        user = nil
        tokenDigest = nil
    }

    /// The caller, or 401: every API route needs one.
    func requireUser() throws -> User {
        guard let user else { throw TackError.unauthenticated }
        return user
    }
}
