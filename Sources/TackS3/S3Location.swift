import Foundation
import TackCore

/// Where a bucket lives: the endpoint, the bucket, its region, how the bucket is addressed, and a key prefix.
public struct S3Location: Sendable, Equatable {
    /// Path style puts the bucket in the path (`http://host/bucket/key`), what Ceph RGW, MinIO and SeaweedFS
    /// answer without DNS set-up; virtual-host style puts it in the host name (`http://bucket.host/key`), what AWS
    /// prefers.
    public enum Style: String, Sendable, Equatable {
        case path
        case virtualHost = "virtual-host"
    }

    public var scheme: String
    public var host: String
    public var port: Int
    public var bucket: String
    public var region: String
    public var style: Style
    /// Prepended to every key, so several stores (or test runs) can share one bucket.
    public var prefix: String

    public init(
        scheme: String = "https", host: String, port: Int? = nil, bucket: String, region: String = "us-east-1",
        style: Style = .path, prefix: String = ""
    ) {
        self.scheme = scheme
        self.host = host
        self.port = port ?? (scheme == "http" ? 80 : 443)
        self.bucket = bucket
        self.region = region
        self.style = style
        self.prefix = prefix
    }

    /// Parses `s3://BUCKET?endpoint=URL&region=R&style=path|virtual-host&prefix=P`. Without an endpoint the
    /// bucket is AWS's in that region.
    public static func parse(_ text: String) throws(S3LocationError) -> S3Location {
        guard let components = URLComponents(string: text), components.scheme == "s3",
              let bucket = components.host, !bucket.isEmpty
        else { throw S3LocationError("\(text) is not s3://BUCKET?endpoint=URL&region=R&style=path") }
        guard components.path.isEmpty || components.path == "/" else {
            throw S3LocationError("\(text): put a key prefix in ?prefix=, not in the path")
        }
        guard Self.isValidBucketName(bucket) else {
            throw S3LocationError("\(bucket) is not a bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard ["endpoint", "region", "style", "prefix"].contains(item.name) else {
                throw S3LocationError("\(text): unknown option \(item.name) (endpoint, region, style, prefix)")
            }
            query[item.name] = item.value ?? ""
        }
        let region = query["region"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        guard let style = Style(rawValue: query["style"] ?? "path") else {
            throw S3LocationError("\(text): style must be path or virtual-host")
        }
        var location: S3Location
        if let endpoint = query["endpoint"] {
            guard let url = URLComponents(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/"
            else { throw S3LocationError("endpoint \(endpoint) is not http(s)://HOST[:PORT]") }
            // URLComponents keeps an IPv6 literal's brackets; requestHost adds them back.
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            location = S3Location(scheme: scheme, host: bare, port: url.port, bucket: bucket, region: region, style: style)
        } else {
            location = S3Location(host: "s3.\(region).amazonaws.com", bucket: bucket, region: region, style: style)
        }
        location.prefix = query["prefix"] ?? ""
        return location
    }

    static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 45 || $0 == 46 }
    }

    /// The host a request goes to and signs.
    public var requestHost: String {
        let name = style == .virtualHost ? "\(bucket).\(host)" : host
        let bracketed = name.contains(":") ? "[\(name)]" : name
        let defaultPort = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
        return defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    /// The encoded request path of an object key (with the prefix), or of the bucket itself when `key` is nil.
    public func encodedPath(key: String?) -> String {
        let bucketPart = style == .path ? "/\(bucket)" : ""
        guard let key else { return bucketPart.isEmpty ? "/" : bucketPart }
        return "\(bucketPart)/\(URIEncoding.encode(prefix + key, keepingSlash: true))"
    }

    /// How a person recognises this store in a message or log line (no secrets here).
    public var displayName: String { "s3://\(bucket)/\(prefix) at \(scheme)://\(requestHost)" }
}

/// A blob store location that cannot be used, with what is wrong with it.
public struct S3LocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
