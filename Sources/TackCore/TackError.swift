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

    public init(_ category: Category, code: String, _ message: String) {
        self.category = category
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension TackError {
    public static func invalid(_ code: String, _ message: String) -> TackError {
        TackError(.invalidInput, code: code, message)
    }

    /// Used for anything the caller may not know exists, so a non-member learns nothing.
    public static func notFound(_ what: String) -> TackError {
        TackError(.notFound, code: "not_found", "\(what) was not found")
    }

    public static let unauthenticated = TackError(
        .unauthenticated, code: "unauthenticated",
        "send a valid token as 'Authorization: Bearer TOKEN' (tackd token new NAME issues one)")
}
