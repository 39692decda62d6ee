/// A refusal or failure with a stable machine code and a sentence that tells a person how to fix it.
///
/// The `category` says what kind of problem it is; the server maps it to an HTTP status, the CLI to an exit code.
public struct TackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem, independent of any transport.
    public enum Category: Sendable, Equatable {
        case invalidInput
        case unauthenticated
        case forbidden
        case notFound
        case conflict
        case tooLarge
        case unsupportedMediaType
        case rangeNotSatisfiable
        /// A precondition the request carries does not hold (tus: `Tus-Resumable` names another version).
        case preconditionFailed
        /// tus: a chunk's bytes do not match the checksum sent with them (HTTP 460).
        case checksumMismatch
        /// Too many requests of a kind in a short time; try again after a while.
        case rateLimited
        case unavailable
        /// Something tackd fetched on the caller's behalf failed or refused.
        case upstreamFailure
        /// Something tackd fetched on the caller's behalf was too slow.
        case upstreamTimeout
        case internalFailure
    }

    public var category: Category
    public var code: String
    public var message: String
    /// For `rateLimited` and `unavailable`: when trying again makes sense (HTTP's `Retry-After`).
    public var retryAfterSeconds: Int?
    /// For input read character by character (a search): where the problem is, counted in Unicode scalars from 0.
    public var position: Int?

    public init(_ category: Category, code: String, _ message: String) {
        self.category = category
        self.code = code
        self.message = message
    }

    /// An error with one of the codes defined in `ErrorCode`; its category comes with the code.
    public init(_ code: ErrorCode, _ message: String) {
        self.init(code.category, code: code.rawValue, message)
    }

    public var description: String { "\(code): \(message)" }

    /// True when this error carries `code`.
    public func has(_ code: ErrorCode) -> Bool { self.code == code.rawValue }
}

extension TackError {
    public static func invalid(_ code: ErrorCode, _ message: String) -> TackError {
        TackError(.invalidInput, code: code.rawValue, message)
    }

    /// Used for anything the caller may not know exists, so a non-member learns nothing.
    public static func notFound(_ what: String) -> TackError {
        TackError(.notFound, "\(what) was not found")
    }

    /// Too many `action`s in a short time; says when the next one will be accepted.
    public static func rateLimited(_ action: String, retryAfter seconds: Double) -> TackError {
        let wait = max(1, Int(seconds.rounded(.up)))
        var error = TackError(.rateLimited, "too many \(action) in a short time; try again in \(wait) s")
        error.retryAfterSeconds = wait
        return error
    }

    public static let unauthenticated = TackError(
        .unauthenticated,
        "send a valid token as 'Authorization: Bearer TOKEN' (tackd token new NAME issues one)")
}
