import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import TackCore
import TackS3
import TackSpawn
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

    static func withWrongPassword(_ url: String) throws -> String {
        var components = try #require(URLComponents(string: url))
        components.password = "wrong"
        return try #require(components.string)
    }

    @Test func anUnreachableDatabaseOrAWrongPasswordIsAClearStartUpError() async throws {
        for (url, expected) in [("postgres://tack:tack@127.0.0.1:1/tack?sslmode=disable", "cannot reach PostgreSQL"),
                                (try await Self.withWrongPassword(TestPostgres.freshDatabase()), "password authentication failed")] {
            let tackd = try Tackd()
            try JSONSerialization.data(withJSONObject: ["catalog": url]).write(to: URL(fileURLWithPath: "\(tackd.storage)/tackd.json"))
            let stderr = "\(tackd.storage)/stderr.log"
            let started = ContinuousClock.now
            await #expect { try await tackd.start(stderr: stderr) } throws: { "\($0)".contains("exited during start-up") }
            let said = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            #expect(said.contains(expected) && !said.contains("wrong"), "\(said)")
            tackd.kill()
            #expect(ContinuousClock.now - started < .seconds(30), "a clear error within seconds, not a hang")
        }
    }

    /// An embedded store (SQLite, blobs in a folder) moved into PostgreSQL and the bucket: after an interrupted pass
    /// and a full one, a new instance on the new backends, with no local files, serves every attachment
    /// hash-identical, with its thumbnail, message and search, to the same tokens.
    @Test func anEmbeddedStoreMovesIntoPostgresAndTheBucketKeepingEverything() async throws {
        let shared = try await Self.sharedConfig()
        var keys = shared.filter { $0.key.hasPrefix("s3_") }
        keys["strip_metadata"] = "false"
        let world = try await World.make(config: keys)
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        var files: [String: [UInt8]] = [:]
        for (name, bytes) in [("dune.jpg", photo), ("minutes.txt", Array("minutes of the zanzibar kickoff\n".utf8)),
                              ("big.bin", pseudoRandomBytes((3 << 20) + 7, seed: 12)), ("again.jpg", photo)] {
            let id = try #require(try await world.carol.upload(bytes, room: world.room, name: name).json["id"] as? String)
            files[id] = bytes
        }
        let photoID = try #require(files.first { $0.value == photo }?.key)
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(photoID)/thumbnail?size=320").status == 200)
        #expect(try await world.carol.json(.POST, "/v1/rooms/\(world.room)/messages",
                                           ["text": "the launch plan", "attachments": [photoID]]).status == 201)
        world.tackd.kill()

        let to = ["migrate-storage", "--to-catalog", try #require(shared["catalog"]), "--to-blobs", try #require(shared["blobs"])]
        // Killed almost at once: whatever it had done, the next pass ends with everything.
        let interrupted = try ChildProcess.run(Tackd.binary, to + ["--storage", world.tackd.storage], input: .null, output: .null, error: .null)
        try await Task.sleep(for: .milliseconds(300))
        interrupted.signal(SIGKILL)
        interrupted.waitUntilExit()
        let said = try await world.tackd.admin(to)
        #expect(said.contains("every hash verified") && said.contains("copied the catalog") && said.contains("4 attachments"), "\(said)")
        #expect(try await world.tackd.admin(to).contains("4 attachments"), "a second pass copies the same again")

        let moved = try Tackd()
        try JSONSerialization.data(withJSONObject: shared).write(to: URL(fileURLWithPath: "\(moved.storage)/tackd.json"))
        try await moved.start()
        defer { moved.kill() }
        let carol = API(base: moved.base, token: world.carol.token), fred = API(base: moved.base, token: world.fred.token)
        for (id, bytes) in files {
            let (status, _, digest, _) = try await fred.downloadDigest("/v1/attachments/\(id)/content")
            #expect(status == 200 && digest == sha256(bytes), "\(id)")
        }
        #expect(try await fred.request(.GET, "/v1/attachments/\(photoID)/thumbnail?size=320").status == 200)
        let messages = try await fred.request(.GET, "/v1/rooms/\(world.room)/messages")
        #expect(messages.text.contains("the launch plan") && messages.text.contains(photoID), "\(messages.text)")
        #expect(try await carol.request(.GET, "/v1/attachments?q=zanzibar").text.contains("minutes.txt"))
        #expect(try await carol.request(.GET, "/v1/attachments?q=%22launch%20plan%22").text.contains(photoID),
                "the message's words still find the file it carries")
        #expect(try await API(base: moved.base, token: world.mallory.token).request(.GET, "/v1/attachments/\(photoID)/content").status == 404)
        // New numbers go on after the copied ones.
        #expect(try await carol.upload([1, 2, 3], room: world.room, name: "after.bin").status == 201)
    }

    /// An instance killed (-9) while it holds a claimed job and streams an upload: the other instance makes the
    /// thumbnail once the lease lapses, the acknowledged upload is whole, and nothing at an address is partial.
    @Test func anInstanceKilledMidJobAndMidUploadLosesNothing() async throws {
        let prefix = "kill-\(UUID().uuidString.lowercased())/"
        let bucket = try await TestS3.client(prefix: prefix)
        var config = try await Self.sharedConfig()
        let (endpoint, _) = try TestS3.configuration()
        config["blobs"] = "s3://\(TestS3.bucket)?endpoint=\(endpoint)&prefix=\(prefix)"
        config["job_lease_seconds"] = "2"
        let one = try await World.make(config: config)
        one.tackd.kill()
        // Armed to die the moment its job runner claims a job.
        try await one.tackd.start(environment: ["TACK_FAILPOINT": "job-claimed"])
        let carol = API(base: one.tackd.base, token: one.carol.token)

        // An upload of 12 MiB stalls after 9 (a multipart upload under way in the bucket) while the instance dies.
        let big = pseudoRandomBytes(12 << 20, seed: 99)
        let (stream, feed) = AsyncStream<ByteBuffer>.makeStream()
        for start in stride(from: 0, to: 9 << 20, by: 1 << 20) { feed.yield(ByteBuffer(bytes: big[start..<(start + (1 << 20))])) }
        let stalled = Task {
            try await carol.request(.POST, "/v1/rooms/\(one.room)/attachments",
                                    headers: [("Content-Disposition", "attachment; filename=big.bin")],
                                    body: .stream(stream, length: .known(Int64(big.count))))
        }
        try await Task.sleep(for: .milliseconds(500))
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        _ = try? await carol.upload(photo, room: one.room, name: "dune.jpg")
        for _ in 0..<200 where one.tackd.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!one.tackd.isRunning, "the failpoint killed the instance as it claimed the thumbnail job")
        feed.finish()
        _ = try? await stalled.value

        let (two, _, fred2, _) = try await Self.secondInstance(
            config, of: one, tokens: (one.carol.token, one.fred.token, one.mallory.token))
        defer { two.kill() }
        let listed = try await fred2.request(.GET, "/v1/rooms/\(one.room)/attachments").json["items"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["name"] as? String } == ["dune.jpg"], "the acknowledged upload, and only it")
        let id = try #require(listed.first?["id"] as? String)
        let (status, _, digest, _) = try await fred2.downloadDigest("/v1/attachments/\(id)/content")
        #expect(status == 200 && digest == sha256(photo))
        // Nobody asks for the thumbnail: the surviving instance's runner takes the job once the lease lapses.
        var state: String?
        for _ in 0..<150 {
            state = ((try await fred2.request(.GET, "/v1/attachments/\(id)").json)["thumbnail"] as? [String: Any])?["state"] as? String
            if state == "ready" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "ready")
        // Every object at an address holds exactly the bytes its address names.
        let stored = try await bucket.objects(withPrefix: "sha256/")
        #expect(stored.count >= 2, "the photo and its thumbnail")
        for object in stored {
            var hasher = SHA256()
            try await bucket.read(object.key, range: nil) { chunk in chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
            #expect(object.key == "sha256/" + ContentHash(bytes: hasher.finalize())!.hex, "\(object.key) is whole")
        }
    }
}
