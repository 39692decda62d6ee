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

    @Test func thePasswordMayComeFromElsewhereAndThePortDefaults() throws {
        let parsed = try PostgresLocation.parse("postgresql://tack@127.0.0.1/tack", password: "from-env")
        #expect(parsed.password == "from-env" && parsed.port == 5432 && parsed.tls == .prefer)
        #expect(try PostgresLocation.parse("postgres://tack:inline@h/d", password: "from-env").password == "inline")
    }

    @Test(arguments: ["sqlite:", "postgres://h/db", "postgres://u@/db", "postgres://u@h", "postgres://u@h/",
                      "postgres://u@h/db?sslmode=maybe", "postgres://u@h/db?pool=3", "postgres://u@h:70000/db", "mysql://u@h/db"])
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
