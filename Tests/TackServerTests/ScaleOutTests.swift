import Foundation
import TackS3
import Testing

/// Two tackd instances sharing one PostgreSQL catalog and one S3 bucket (the real servers `scripts/engines/up` starts
/// on 127.0.0.1), as an operator behind a load balancer runs them: any instance serves any request.
@Suite(.timeLimit(.minutes(5))) struct ScaleOutTests {
    /// The shared config: a fresh database, a fresh prefix of the test bucket, the keys.
    static func sharedConfig() async throws -> [String: String] {
        let prefix = "scale-\(UUID().uuidString.lowercased())/"
        _ = try await TestS3.client(prefix: prefix)
        let (endpoint, credentials) = try TestS3.configuration()
        return ["catalog": try await TestPostgres.freshDatabase(),
                "blobs": "s3://\(TestS3.bucket)?endpoint=\(endpoint)&prefix=\(prefix)",
                "s3_access_key_id": credentials.accessKeyID, "s3_secret_access_key": credentials.secretAccessKey,
                "strip_metadata": "false"]
    }

    /// A second instance on `config`, for the users and room `world` made through the first.
    static func secondInstance(_ config: [String: String], of world: World, tokens: (carol: String?, fred: String?, mallory: String?))
        async throws -> (Tackd, carol: API, fred: API, mallory: API)
    {
        let tackd = try Tackd()
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(tackd.storage)/tackd.json"))
        try await tackd.start()
        return (tackd, API(base: tackd.base, token: tokens.carol), API(base: tackd.base, token: tokens.fred),
                API(base: tackd.base, token: tokens.mallory))
    }

    @Test func whatOneInstanceStoresTheOtherServes() async throws {
        let config = try await Self.sharedConfig()
        let one = try await World.make(config: config)
        let (two, carol2, fred2, mallory2) = try await Self.secondInstance(
            config, of: one, tokens: (one.carol.token, one.fred.token, one.mallory.token))
        defer { two.kill() }

        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let id = try #require(try await one.carol.upload(photo, room: one.room, name: "dune.jpg").json["id"] as? String)
        let listed = try await fred2.request(.GET, "/v1/rooms/\(one.room)/attachments")
        #expect((listed.json["items"] as? [[String: Any]])?.first?["id"] as? String == id, "\(listed.text)")
        let (status, _, digest, _) = try await fred2.downloadDigest("/v1/attachments/\(id)/content")
        #expect(status == 200 && digest == sha256(photo))
        let thumbnail = try await fred2.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(thumbnail.status == 200 && thumbnail.body.starts(with: [0xFF, 0xD8]), "\(thumbnail.status)")
        let found = try await carol2.request(.GET, "/v1/attachments?q=dune")
        #expect(found.text.contains(id), "search through the other instance: \(found.status) \(found.text)")
        #expect(try await mallory2.request(.GET, "/v1/attachments/\(id)/content").status == 404)

        // Removed through one instance, refused at once through the other: its caches catch up before answering.
        #expect(try await fred2.request(.GET, "/v1/attachments/\(id)").status == 200, "cached on the second instance")
        #expect(try await one.carol.request(.DELETE, "/v1/rooms/\(one.room)/members/fred").status == 200)
        #expect(try await fred2.request(.GET, "/v1/attachments/\(id)").status == 404)
        #expect(try await fred2.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 404)
    }

    @Test func anEventRaisedOnOneReachesAListenerOnTheOther() async throws {
        let config = try await Self.sharedConfig()
        let one = try await World.make(config: config)
        let (two, _, fred2, _) = try await Self.secondInstance(
            config, of: one, tokens: (one.carol.token, one.fred.token, one.mallory.token))
        defer { two.kill() }
        let stream = try await EventStream.open(fred2, room: one.room)
        defer { stream.close() }
        #expect(stream.status == 200)
        let id = try #require(try await one.carol.upload(Array("minutes\n".utf8), room: one.room, name: "minutes.txt")
            .json["id"] as? String)
        let created = try await stream.waitFor("attachment.created")
        #expect(created.json["attachmentId"] as? String == id)
    }

    @Test func anUnreachableDatabaseOrAWrongPasswordIsAClearStartUpError() async throws {
        for (url, expected) in [("postgres://tack:tack@127.0.0.1:1/tack?sslmode=disable", "cannot reach PostgreSQL"),
                                (try await TestPostgres.freshDatabase().replacingOccurrences(of: ":tack@", with: ":wrong@"),
                                 "password authentication failed")] {
            let tackd = try Tackd()
            try JSONSerialization.data(withJSONObject: ["catalog": url]).write(to: URL(fileURLWithPath: "\(tackd.storage)/tackd.json"))
            let stderr = "\(tackd.storage)/stderr.log"
            let started = ContinuousClock.now
            await #expect { try await tackd.start(stderr: stderr) } throws: { "\($0)".contains("exited during start-up") }
            let said = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            #expect(said.contains(expected) && !said.contains(":wrong@"), "\(said)")
            #expect(ContinuousClock.now - started < .seconds(30), "a clear error within seconds, not a hang")
        }
    }
}
