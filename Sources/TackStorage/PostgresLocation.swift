import Foundation
import TackCore

/// Where a PostgreSQL catalog lives, read from
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE[&sslrootcert=PEM]]`.
///
/// Pure: parsing and describing only. The password may also come from `TACK_POSTGRES_PASSWORD` (kept out of process
/// listings) and is never part of `displayName`.
public struct PostgresLocation: Sendable, Equatable {
    /// libpq's `sslmode`s, meaning what they mean there: `prefer` and `require` encrypt without checking who answers
    /// (a server's self-signed certificate works), `verify-ca` checks the certificate against the trusted roots,
    /// `verify-full` the host name too.
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// A PEM file of the certificates `verify-ca` and `verify-full` trust (libpq's `sslrootcert`); nil: the system's.
    public var rootCertificates: String?

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, tls: TLSMode = .prefer,
                rootCertificates: String? = nil) {
        self.host = host; self.port = port; self.user = user; self.password = password; self.database = database
        self.tls = tls; self.rootCertificates = rootCertificates
    }

    /// The location `url` names; `invalid_setting` saying what is wrong otherwise.
    public static func parse(_ url: String, password fallback: String? = nil) throws(TackError) -> PostgresLocation {
        func invalid(_ why: String) -> TackError {
            .invalid(.invalidSetting, "catalog '\(redacted(url))' \(why); expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
              let components = URLComponents(string: url) else { throw invalid("is not a postgres:// URL") }
        guard let host = components.host, !host.isEmpty else { throw invalid("names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw invalid("names no database") }
        if let port = components.port, !(1...65535).contains(port) { throw invalid("has port \(port), outside 1-65535") }
        var tls = TLSMode.prefer
        var rootCertificates: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw invalid("has sslmode '\(item.value ?? "")'; use disable, prefer, require, verify-ca or verify-full")
                }
                tls = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw invalid("has an empty sslrootcert") }
                rootCertificates = path
            default: throw invalid("has an unknown option '\(item.name)'")
            }
        }
        if rootCertificates != nil && tls != .verifyCA && tls != .verifyFull {
            throw invalid("has sslrootcert, which only sslmode=verify-ca or verify-full uses")
        }
        // `user`, `password` and `path` come decoded already; decoding again would turn a password's `%41` into `A`.
        return PostgresLocation(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: components.port ?? 5432,
                                user: user, password: components.password ?? fallback, database: database, tls: tls,
                                rootCertificates: rootCertificates)
    }

    /// The location without its password, for logs and errors.
    public var displayName: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// `url` without whatever stands between `://` and `@` (a user and password), for an error about the URL itself:
    /// the URL may not parse, so nothing is assumed about its shape.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + "…" + String(url[at...])
    }
}
