/// Why a request to an S3-compatible store failed, worded for the operator who has to fix it.
public enum S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The store answered with an S3 error (`NoSuchBucket`, `SignatureDoesNotMatch`, ...).
    case service(status: Int, code: String, message: String, operation: String)
    /// The store could not be reached or the connection failed.
    case unreachable(endpoint: String, reason: String)
    /// The store answered something S3 does not answer.
    case unexpectedResponse(String, got: String)

    /// No object (or upload) at the key; the one failure callers routinely expect.
    public var isNotFound: Bool {
        if case .service(let status, let code, _, _) = self {
            return code == "NoSuchKey" || code == "NoSuchUpload" || (status == 404 && code.isEmpty)
        }
        return false
    }

    public var description: String {
        switch self {
        case .service(let status, let code, let message, let operation):
            let hint = switch code {
            case "SignatureDoesNotMatch": " (check the secret access key)"
            case "InvalidAccessKeyId": " (check the access key id)"
            case "NoSuchBucket": " (create the bucket first, or check its name)"
            case "AccessDenied": " (the keys lack permission on this bucket)"
            case "RequestTimeTooSkewed": " (this machine's clock is wrong)"
            default: ""
            }
            let what = code.isEmpty ? "HTTP \(status)" : "\(code) (HTTP \(status))"
            return "S3 refused \(operation): \(what)\(message.isEmpty ? "" : ": \(message)")\(hint)"
        case .unreachable(let endpoint, let reason):
            return "S3 endpoint \(endpoint) is unreachable: \(reason)"
        case .unexpectedResponse(let expected, let got):
            return "S3 answered something unexpected: wanted \(expected), got \(got.prefix(200))"
        }
    }
}
