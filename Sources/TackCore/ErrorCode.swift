/// A stable, machine-readable error code and the kind of problem it is: every code tackd answers with is defined
/// here once, so a code is never spelled two ways and its HTTP status is decided in one place (by its category).
public struct ErrorCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public let category: TackError.Category

    public init(_ rawValue: String, _ category: TackError.Category) {
        self.rawValue = rawValue
        self.category = category
    }

    public var description: String { rawValue }
}

extension ErrorCode {
    // Requests a client got wrong.
    public static let invalidJSON = ErrorCode("invalid_json", .invalidInput)
    public static let invalidName = ErrorCode("invalid_name", .invalidInput)
    public static let invalidUserName = ErrorCode("invalid_user_name", .invalidInput)
    public static let invalidRoomName = ErrorCode("invalid_room_name", .invalidInput)
    public static let invalidContentDisposition = ErrorCode("invalid_content_disposition", .invalidInput)
    public static let invalidMultipart = ErrorCode("invalid_multipart", .invalidInput)
    public static let invalidDigest = ErrorCode("invalid_digest", .invalidInput)
    public static let unsupportedDigest = ErrorCode("unsupported_digest", .invalidInput)
    public static let digestMismatch = ErrorCode("digest_mismatch", .invalidInput)
    public static let invalidIdempotencyKey = ErrorCode("invalid_idempotency_key", .invalidInput)
    public static let invalidCursor = ErrorCode("invalid_cursor", .invalidInput)
    public static let csrf = ErrorCode("csrf", .forbidden)
    public static let invalidOrigin = ErrorCode("invalid_origin", .invalidInput)
    public static let badQuery = ErrorCode("bad_query", .invalidInput)
    public static let invalidTimeZone = ErrorCode("invalid_time_zone", .invalidInput)
    public static let invalidLimit = ErrorCode("invalid_limit", .invalidInput)
    public static let invalidSize = ErrorCode("invalid_size", .invalidInput)
    public static let invalidMethod = ErrorCode("invalid_method", .invalidInput)
    public static let invalidSetting = ErrorCode("invalid_setting", .invalidInput)
    public static let invalidURL = ErrorCode("invalid_url", .invalidInput)
    public static let invalidTTL = ErrorCode("invalid_ttl", .invalidInput)
    public static let invalidDisposition = ErrorCode("invalid_disposition", .invalidInput)
    public static let unknownUser = ErrorCode("unknown_user", .invalidInput)
    public static let emptyMessage = ErrorCode("empty_message", .invalidInput)
    /// Text with a NUL character, which no catalog stores the same way (PostgreSQL refuses it).
    public static let invalidText = ErrorCode("invalid_text", .invalidInput)
    public static let messageTooLong = ErrorCode("message_too_long", .invalidInput)
    public static let tooManyAttachments = ErrorCode("too_many_attachments", .invalidInput)
    public static let foreignAttachment = ErrorCode("foreign_attachment", .invalidInput)
    public static let cannotRemoveCreator = ErrorCode("cannot_remove_creator", .invalidInput)
    public static let unsupportedLink = ErrorCode("unsupported_link", .invalidInput)
    public static let unsupportedScheme = ErrorCode("unsupported_scheme", .invalidInput)
    public static let notALink = ErrorCode("not_a_link", .invalidInput)
    public static let folderLink = ErrorCode("folder_link", .invalidInput)
    public static let credentialsInURL = ErrorCode("credentials_in_url", .invalidInput)
    public static let corruptImage = ErrorCode("corrupt_image", .invalidInput)
    public static let invalidImage = ErrorCode("invalid_image", .invalidInput)
    public static let unreadableInput = ErrorCode("unreadable_input", .invalidInput)
    public static let invalidTusHeader = ErrorCode("invalid_tus_header", .invalidInput)
    public static let unsupportedChecksum = ErrorCode("unsupported_checksum", .invalidInput)
    public static let invalidRetention = ErrorCode("invalid_retention", .invalidInput)
    /// tus: a PATCH without `Content-Type: application/offset+octet-stream`.
    public static let notAChunk = ErrorCode("not_a_chunk", .unsupportedMediaType)
    /// tus: the request's `Tus-Resumable` is missing or another version.
    public static let tusVersion = ErrorCode("tus_version", .preconditionFailed)
    /// tus: a chunk's bytes do not match its `Upload-Checksum`; the chunk was dropped.
    public static let checksumMismatch = ErrorCode("checksum_mismatch", .checksumMismatch)

    // Who may do what.
    public static let unauthenticated = ErrorCode("unauthenticated", .unauthenticated)
    public static let notFound = ErrorCode("not_found", .notFound)
    public static let notAllowed = ErrorCode("not_allowed", .forbidden)
    public static let notRoomCreator = ErrorCode("not_room_creator", .forbidden)
    public static let clientsOnly = ErrorCode("clients_only", .forbidden)
    public static let linksDisabled = ErrorCode("links_disabled", .forbidden)
    public static let userExists = ErrorCode("user_exists", .conflict)
    public static let idempotencyKeyReused = ErrorCode("idempotency_key_reused", .conflict)
    /// tus: the PATCH's `Upload-Offset` is not where the upload stands.
    public static let offsetMismatch = ErrorCode("offset_mismatch", .conflict)
    /// tus: another PATCH to the same upload is still running.
    public static let uploadBusy = ErrorCode("upload_busy", .conflict)

    // Bounds.
    public static let tooLarge = ErrorCode("too_large", .tooLarge)
    public static let tooManyPixels = ErrorCode("too_many_pixels", .tooLarge)
    /// An image whose decoding would need more working memory than `ImageLimits.maxWorkingBytes`.
    public static let imageTooLarge = ErrorCode("image_too_large", .tooLarge)
    public static let quotaExceeded = ErrorCode("quota_exceeded", .tooLarge)
    public static let rateLimited = ErrorCode("rate_limited", .rateLimited)
    public static let rangeNotSatisfiable = ErrorCode("range_not_satisfiable", .rangeNotSatisfiable)

    // Images.
    public static let notAnImage = ErrorCode("not_an_image", .unsupportedMediaType)
    public static let unsupportedImage = ErrorCode("unsupported_image", .unsupportedMediaType)
    public static let thumbnailFailed = ErrorCode("thumbnail_failed", .unsupportedMediaType)
    /// A file of a text type whose bytes are not text (a binary file with a text-looking start).
    public static let notText = ErrorCode("not_text", .unsupportedMediaType)

    // What a linked file's server did.
    /// The link's host does not exist: the link is wrong, not the upstream.
    public static let unresolvableHost = ErrorCode("unresolvable_host", .invalidInput)
    public static let upstreamBadRedirect = ErrorCode("upstream_bad_redirect", .upstreamFailure)
    public static let upstreamError = ErrorCode("upstream_error", .upstreamFailure)
    public static let upstreamForbidden = ErrorCode("upstream_forbidden", .upstreamFailure)
    public static let upstreamGone = ErrorCode("upstream_gone", .upstreamFailure)
    public static let upstreamNotAFile = ErrorCode("upstream_not_a_file", .upstreamFailure)
    public static let upstreamRefused = ErrorCode("upstream_refused", .upstreamFailure)
    public static let upstreamTruncated = ErrorCode("upstream_truncated", .upstreamFailure)
    public static let upstreamUnreachable = ErrorCode("upstream_unreachable", .upstreamFailure)
    public static let upstreamStalled = ErrorCode("upstream_stalled", .upstreamTimeout)
    public static let upstreamTimeout = ErrorCode("upstream_timeout", .upstreamTimeout)

    // tackd's own trouble.
    public static let busy = ErrorCode("busy", .unavailable)
    /// The catalog's database cannot be reached or refused tackd (PostgreSQL down, wrong password).
    public static let catalogUnavailable = ErrorCode("catalog_unavailable", .unavailable)
    public static let badEndpoint = ErrorCode("bad_endpoint", .internalFailure)
    public static let blobMissing = ErrorCode("blob_missing", .internalFailure)
    public static let corruptCatalog = ErrorCode("corrupt_catalog", .internalFailure)
    public static let encodeFailed = ErrorCode("encode_failed", .internalFailure)
    public static let `internal` = ErrorCode("internal", .internalFailure)

    /// Every fixed code, for tests that keep the catalogue consistent.
    static let all: [ErrorCode] = [
        .invalidJSON, .invalidName, .invalidUserName, .invalidRoomName, .invalidContentDisposition,
        .invalidMultipart, .invalidDigest, .unsupportedDigest, .digestMismatch, .invalidIdempotencyKey,
        .invalidCursor, .invalidLimit, .invalidSize, .invalidMethod, .invalidSetting, .invalidURL, .invalidTTL, .invalidDisposition, .unknownUser,
        .emptyMessage, .invalidText, .messageTooLong, .tooManyAttachments, .foreignAttachment, .cannotRemoveCreator,
        .unsupportedLink, .unsupportedScheme, .notALink, .folderLink, .credentialsInURL, .corruptImage,
        .invalidImage, .unreadableInput, .invalidTusHeader, .unsupportedChecksum, .invalidRetention, .notAChunk,
        .tusVersion, .checksumMismatch, .offsetMismatch, .uploadBusy, .unauthenticated, .notFound, .notAllowed, .notRoomCreator,
        .clientsOnly, .linksDisabled, .userExists, .idempotencyKeyReused, .tooLarge, .tooManyPixels, .imageTooLarge, .quotaExceeded,
        .rateLimited, .rangeNotSatisfiable, .notAnImage, .unsupportedImage, .thumbnailFailed, .notText, .unresolvableHost,
        .upstreamBadRedirect, .upstreamError, .upstreamForbidden, .upstreamGone, .upstreamNotAFile,
        .upstreamRefused, .upstreamTruncated, .upstreamUnreachable, .upstreamStalled, .upstreamTimeout, .busy, .catalogUnavailable,
        .badEndpoint, .blobMissing, .corruptCatalog, .encodeFailed, .`internal`,
    ]

    /// A linked-file refusal names the rule it broke: `refused_loopback`, `refused_redirects`, …
    public static func refused(_ rule: String) -> ErrorCode { ErrorCode("refused_\(rule)", .invalidInput) }
}
