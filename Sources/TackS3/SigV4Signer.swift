import Crypto
import Foundation
import TackCore

/// Keys for an S3-compatible store; `description` never shows the secret, so logging one is harmless.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String

    public init(accessKeyID: String, secretAccessKey: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    public var description: String { "S3Credentials(\(accessKeyID), secret redacted)" }
}

/// The parts of an HTTP request that AWS Signature Version 4 covers.
public struct SignableRequest: Sendable, Equatable {
    public var method: String
    /// The path exactly as sent, already percent-encoded (S3 encodes once and does not normalise).
    public var encodedPath: String
    /// Query parameters, not encoded; the signer encodes and sorts them.
    public var query: [(name: String, value: String)]
    /// Headers to sign, `host` and `x-amz-date` among them.
    public var headers: [(name: String, value: String)]
    /// Lower-case hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    public var payloadHash: String

    public init(
        method: String, encodedPath: String, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)], payloadHash: String
    ) {
        self.method = method
        self.encodedPath = encodedPath
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    public static func == (a: SignableRequest, b: SignableRequest) -> Bool {
        a.method == b.method && a.encodedPath == b.encodedPath && a.payloadHash == b.payloadHash
            && a.query.elementsEqual(b.query, by: ==) && a.headers.elementsEqual(b.headers, by: ==)
    }
}

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`), the one signing scheme every S3-compatible store accepts.
///
/// Pure: the caller supplies the time, so the published test vectors check it byte for byte.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, the form of `x-amz-date`.
    public static func amzDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let day: String = "\(parts.tm_year + 1900)" + two(parts.tm_mon + 1) + two(parts.tm_mday)
        let time: String = two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec)
        return day + "T" + time + "Z"
    }

    public func canonicalRequest(_ request: SignableRequest) -> String {
        // Sorted by the encoded bytes (ASCII, so String order is byte order), then by value.
        let encoded: [(name: String, value: String)] = request.query.map {
            (name: URIEncoding.encode($0.name), value: URIEncoding.encode($0.value))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let query: String = sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        let headers = canonicalHeaders(request.headers)
        return [
            request.method,
            request.encodedPath.isEmpty ? "/" : request.encodedPath,
            query,
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            headers.map(\.name).joined(separator: ";"),
            request.payloadHash,
        ].joined(separator: "\n")
    }

    public func scope(amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    public func stringToSign(_ request: SignableRequest, amzDate: String) -> String {
        let hashed = SHA256.hash(data: Data(canonicalRequest(request).utf8)).hexString
        return [Self.algorithm, amzDate, scope(amzDate: amzDate), hashed].joined(separator: "\n")
    }

    /// The hex signature of a request signed at `amzDate`; presigned URLs carry it as `X-Amz-Signature`.
    public func signature(_ request: SignableRequest, amzDate: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data(stringToSign(request, amzDate: amzDate).utf8), using: signingKey(day: String(amzDate.prefix(8))))
        return Data(code).hexString
    }

    /// The `Authorization` header value for a request whose headers already carry `x-amz-date: amzDate`.
    public func authorization(_ request: SignableRequest, amzDate: String) -> String {
        let signedHeaders = canonicalHeaders(request.headers).map(\.name).joined(separator: ";")
        return "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(amzDate: amzDate)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature(request, amzDate: amzDate))"
    }

    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// Lower-cased names, values trimmed with inner runs of spaces folded to one, repeated names joined by commas,
    /// sorted by name.
    func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let folded = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            merged[name.lowercased(), default: []].append(folded)
        }
        return merged.map { (name: $0.key, value: $0.value.joined(separator: ",")) }.sorted { $0.name < $1.name }
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex, as SigV4 writes digests.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
