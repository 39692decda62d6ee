import Hummingbird
import TackCore

/// Per-request state: Hummingbird's core storage plus the authenticated user.
public struct TackRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: User?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        user = nil
    }

    /// The caller, or 401: every API route needs one.
    func requireUser() throws -> User {
        guard let user else { throw TackError.unauthenticated }
        return user
    }
}
