import Foundation
import NIOSSL
import Testing
import TackCore
@testable import TackStorage

/// `--catalog` as operators write it: the embedded default, an SQLite path, a PostgreSQL URL with or without its
/// password, and the mistakes that must be refused before anything connects.
@Suite struct CatalogLocationTests {
    @Test func theDefaultIsTheSQLiteFileInStorage() throws {
        #expect(try CatalogLocation.parse(nil, storage: "/srv/tack") == .sqlite(path: "/srv/tack/tack.sqlite"))
        #expect(try CatalogLocation.parse("sqlite:/data/c.sqlite", storage: "x") == .sqlite(path: "/data/c.sqlite"))
    }

    @Test func aPostgresURLIsReadWhole() throws {
        let parsed = try CatalogLocation.parse("postgres://tack:s%40cret@db.internal:6543/attachments?sslmode=require", storage: "x")
        #expect(parsed == .postgres(PostgresLocation(host: "db.internal", port: 6543, user: "tack", password: "s@cret",
                                                     database: "attachments", tls: .require)))
        #expect(parsed.displayName == "postgres://tack@db.internal:6543/attachments", "never the password")
    }

    @Test func sslModesMeanWhatLibpqsMean() throws {
        let verified = try PostgresLocation.parse("postgres://u@h/d?sslmode=verify-full&sslrootcert=/etc/tack/ca.pem")
        #expect(verified.tls == .verifyFull && verified.rootCertificates == "/etc/tack/ca.pem")
        #expect(PostgresCatalog.tlsConfiguration(verified).certificateVerification == .fullVerification)
        #expect(PostgresCatalog.tlsConfiguration(try PostgresLocation.parse("postgres://u@h/d?sslmode=verify-ca"))
            .certificateVerification == .noHostnameVerification)
        // Encrypted, but like libpq not checked: a server's self-signed certificate works.
        #expect(PostgresCatalog.tlsConfiguration(try PostgresLocation.parse("postgres://u@h/d?sslmode=require"))
            .certificateVerification == .none)
        #expect(throws: TackError.self) { try PostgresLocation.parse("postgres://u@h/d?sslmode=require&sslrootcert=/x.pem") }
    }

    @Test func thePasswordMayComeFromElsewhereAndThePortDefaults() throws {
        let parsed = try PostgresLocation.parse("postgresql://tack@127.0.0.1/tack", password: "from-env")
        #expect(parsed.password == "from-env" && parsed.port == 5432 && parsed.tls == .prefer)
        #expect(try PostgresLocation.parse("postgres://tack:inline@h/d", password: "from-env").password == "inline")
    }

    @Test(arguments: ["sqlite:", "postgres://h/db", "postgres://u@/db", "postgres://u@h", "postgres://u@h/",
                      "postgres://u@h/db?sslmode=maybe", "postgres://u@h/db?pool=3", "postgres://u@h/db?sslrootcert=", "postgres://u@h:70000/db", "mysql://u@h/db"])
    func mistakesAreRefusedWithTheReason(_ text: String) {
        #expect(throws: TackError.self) { try CatalogLocation.parse(text, storage: "x") }
    }

    @Test(arguments: ["postgres://u:hunter2@h/db?sslmode=maybe", "postgres://u:hun ter2#x@h/db", "postgres://u:hunter2@/db"])
    func aRefusedURLNeverShowsItsPassword(_ url: String) {
        do {
            _ = try PostgresLocation.parse(url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(!error.message.contains("hunter2") && !error.message.contains("hun ter2"), "\(error.message)")
        }
    }

    @Test func percentSignsInAPasswordAreDecodedOnce() throws {
        #expect(try PostgresLocation.parse("postgres://u:a%2541b%21@h/db").password == "a%41b!")
    }
}

/// The sslmodes against the test server, which speaks TLS with a self-signed certificate for 127.0.0.1.
// Five minutes: four databases made and opened, which take a while when the whole suite shares two cores.
@Suite(.timeLimit(.minutes(5))) struct PostgresTLSTests {
    /// The test database's URL with `query` in place of its own options.
    func url(_ query: String) async throws -> String {
        let fresh = try await TestPostgres.freshDatabase()
        return String(fresh[..<(fresh.firstIndex(of: "?") ?? fresh.endIndex)]) + "?" + query
    }

    func encrypted(_ catalog: PostgresCatalog) async throws -> Bool {
        try await catalog.rows("SELECT ssl::int AS ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.int64("ssl") == 1
    }

    @Test func eachModeConnectsAsLibpqWould() async throws {
        let ca = try #require(ProcessInfo.processInfo.environment["TACK_TEST_POSTGRES_CA"], "scripts/engines/up exports it")
        let plain = try await TestPostgres.open(PostgresLocation.parse(try await url("sslmode=disable")))
        #expect(try await !encrypted(plain))
        await plain.close()
        let required = try await TestPostgres.open(PostgresLocation.parse(try await url("sslmode=require")))
        #expect(try await encrypted(required), "encrypted, the self-signed certificate unchecked")
        await required.close()
        let verified = try await TestPostgres.open(PostgresLocation.parse(try await url("sslmode=verify-full&sslrootcert=\(ca)")))
        #expect(try await encrypted(verified))
        await verified.close()
        // The system's roots do not know the test server's certificate: a clear refusal, not a hang.
        await #expect {
            _ = try await PostgresCatalog.open(PostgresLocation.parse(try await url("sslmode=verify-full")), timeout: .seconds(20))
        } throws: { error in
            (error as? TackError).map { $0.has(.catalogUnavailable) && $0.message.contains("sslrootcert") } == true
        }
    }
}
