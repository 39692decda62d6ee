import Foundation
import Logging
import PostgresNIO

/// The real PostgreSQL server the tests use (a throwaway cluster `scripts/engines/up` starts on 127.0.0.1), a fresh
/// database for each caller.
public enum TestPostgres {
    /// From `TACK_TEST_POSTGRES_URL` (postgres://USER:PASSWORD@127.0.0.1:PORT/DB, a user who may create databases); a
    /// missing server fails the test that needs it rather than skipping it.
    public static func serverURL() throws -> URLComponents {
        guard let url = ProcessInfo.processInfo.environment["TACK_TEST_POSTGRES_URL"], let components = URLComponents(string: url)
        else {
            throw SupportError("no PostgreSQL server for the tests: run scripts/test (it starts one), or set "
                + "TACK_TEST_POSTGRES_URL=postgres://USER:PASSWORD@127.0.0.1:PORT/DB")
        }
        guard let host = components.host, host == "127.0.0.1" || host == "localhost" || host == "::1" else {
            throw SupportError("TACK_TEST_POSTGRES_URL names \(components.host ?? "no host"), not loopback; tests talk to loopback only")
        }
        return components
    }

    /// The URL of a new, empty database of its own (`tack_t_<random>`), created on the test server.
    public static func freshDatabase() async throws -> String {
        var components = try serverURL()
        let name = "tack_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let configuration = PostgresConnection.Configuration(
            host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: String(components.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: 1, logger: Logger(label: "tack.test.postgres"))
        do {
            // A name made of hex digits and underscores only: nothing to quote.
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "tack.test.postgres"))
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        components.path = "/" + name
        components.queryItems = [URLQueryItem(name: "sslmode", value: "disable")]
        guard let url = components.string else { throw SupportError("cannot make a URL for database \(name)") }
        return url
    }
}
