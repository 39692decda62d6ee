/// Why a helper command failed, grouped the way its exit code reports it.
public enum ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached (or kept failing with 5xx): work stays in the outbox.
    case unreachable(String)
    /// The server answered and said no: auth, permission, not found, a limit.
    case refused(status: Int, code: String, message: String)
    /// Something on this machine: an unreadable file, a missing setting.
    case local(String)
    /// A setting that would expose the token (plain http to another machine): refused before anything is sent.
    case insecure(String)

    public var description: String {
        switch self {
        case .unreachable(let text), .local(let text), .insecure(let text): return text
        case .refused(let status, let code, let message): return "the server refused (\(status) \(code)): \(message)"
        }
    }
}
