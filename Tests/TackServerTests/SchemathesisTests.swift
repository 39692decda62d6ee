import Foundation
import Testing

/// schemathesis reads tackd's own API description and sends what it generates (examples, boundary values,
/// random and schema-violating data) to a live tackd, with a member's token: no answer may be a server error,
/// undocumented, of the wrong shape or content type, and schema-violating requests must be refused.
@Suite(.timeLimit(.minutes(10))) struct SchemathesisTests {
    /// Installed by scripts/setup into the repository's ignored `.build-tools` folder.
    static var schemathesis: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build-tools/venv/bin/schemathesis").path
    }

    @Test func everyOperationHoldsUnderGeneratedRequests() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.schemathesis), "run scripts/setup: \(Self.schemathesis)")
        // Rate limits off (schemathesis sends hundreds of uploads); links are parsed and refused, never fetched, so
        // no generated URL can send traffic off this machine.
        let world = try await World.make(config: [
            "rate_uploads_per_minute": "0", "rate_links_per_minute": "0", "rate_refreshes_per_minute": "0",
            "link_fetching": "false",
        ])
        let photo = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/backgrounds/mate/nature/Wood.jpg")))
        let image = try #require(try await world.carol.upload(photo, room: world.room, name: "wood.jpg").json["id"] as? String)
        let doomed = try #require(try await world.carol.upload([1, 2, 3], room: world.room, name: "x.bin").json["id"] as? String)
        let folder = NSTemporaryDirectory() + "tack-schemathesis-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Path parameters name real things, so operations get past 404 to their real work.
        let config = """
            [parameters]
            "path.room" = "\(world.room)"
            "path.id" = "\(image)"
            "path.user" = "fred"

            # tus answers a missing or foreign Tus-Resumable with 412, as its specification requires.
            [checks.negative_data_rejection]
            expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx"]

            [[operations]]
            include-method = "DELETE"
            include-path = "/v1/attachments/{id}"
            parameters = { "path.id" = "\(doomed)" }
            """
        try config.write(toFile: "\(folder)/schemathesis.toml", atomically: true, encoding: .utf8)
        // Off the cooperative pool: schemathesis runs for a minute or more, and a pool thread blocked that long
        // stalls every other test's tasks.
        let hooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Schemathesis").path
        let environment = ProcessInfo.processInfo.environment.merging(
            ["NO_COLOR": "1", "SCHEMATHESIS_HOOKS": "tack_hooks", "PYTHONPATH": hooks]) { $1 }
        let (status, text) = try await offThePool { try runProgram(Self.schemathesis, [
            "run", "\(world.tackd.base)/v1/openapi.json", "-H", "Authorization: Bearer \(world.carol.token!)",
            "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,negative_data_rejection",
            "--phases", "examples,coverage,fuzzing", "--max-examples", "25", "--seed", "1", "--no-color",
            "--request-timeout", "30", "--workers", "2",
            // A live stream answers for as long as the client listens: EventStreamTests walk it instead.
            "--exclude-path", "/v1/rooms/{room}/events",
        ], environment: environment, directory: folder) }
        #expect(status == 0, "\(text.suffix(6000))")
        #expect(text.contains("API Operations"), "schemathesis ran: \(text.suffix(2000))")
        #expect(try await API(base: world.tackd.base, token: nil).request(.GET, "/healthz").status == 200)
    }
}
