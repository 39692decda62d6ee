import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Testing
import TackCore
import TackTestSupport

/// tus 1.0.0 against a live tackd: tuspy (the tus project's Python client) for interoperability, raw requests for
/// the edges a well-behaved client never reaches.
@Suite(.timeLimit(.minutes(5))) struct ResumableUploadTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".build-tools/venv/bin/python").path
    static let script = repository.appendingPathComponent("Tests/Tus/tus_client.py").path

    /// Runs the tuspy driver and returns the JSON object it printed.
    func tuspy(_ command: String, _ api: API, room: String = "", file: String = "", _ options: [String] = [])
        async throws -> [String: Any]
    {
        #expect(FileManager.default.isExecutableFile(atPath: Self.python), "run scripts/setup: \(Self.python)")
        var arguments = [Self.script, command, "--server", api.base, "--token", api.token ?? ""]
        if !room.isEmpty { arguments += ["--room", room] }
        if !file.isEmpty { arguments += ["--file", file] }
        let all = arguments + options
        let (status, output) = try await offThePool { try runProgram(Self.python, all) }
        let line = output.split(separator: "\n").last { $0.hasPrefix("{") }
        guard status == 0, let line, let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw HarnessError("tus_client.py \(command) failed (\(status)): \(output.suffix(3000))")
        }
        return object
    }

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "tack-tus-\(UUID().uuidString).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func partFiles(_ tackd: Tackd) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "\(tackd.storage)/uploads")) ?? []
    }

    /// The issue's scenario: 64 MiB in 5 MiB chunks, three sent, tackd killed with SIGKILL and restarted, a new
    /// client resumes from the stored URL: one attachment, hash-identical, one blob.
    @Test func resumesAfterTackdIsKilled() async throws {
        let world = try await World.make()
        let bytes = pseudoRandomBytes(64 << 20, seed: 64)
        let file = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let started = try await tuspy("start", world.fred, room: world.room, file: file,
                                      ["--chunks", "3", "--name", "big.bin", "--message", "the big one"])
        let url = try #require(started["url"] as? String)
        #expect(started["offset"] as? Int == 15 << 20)
        world.tackd.kill()

        let restarted = try Tackd(storage: world.tackd.storage)
        try await restarted.start()
        defer { restarted.kill() }
        let fred = API(base: restarted.base, token: world.fred.token)
        let resumed = try await tuspy("resume", fred, room: world.room, file: file,
                                      ["--url", url.replacingOccurrences(of: world.tackd.base, with: restarted.base)])
        #expect(resumed["resumedFrom"] as? Int == 15 << 20, "the new client went on from the acknowledged offset")
        #expect(resumed["offset"] as? Int == 64 << 20)

        let path = try #require(URL(string: url)?.path)
        let summary = try await fred.request(.GET, path)
        let id = try #require(summary.json["attachment"] as? String)
        let list = try await fred.request(.GET, "/v1/rooms/\(world.room)/attachments")
        let items = try #require(list.json["items"] as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["id"] as? String == id)
        #expect(items.first?["name"] as? String == "big.bin")
        let (status, _, digest, count) = try await fred.downloadDigest("/v1/attachments/\(id)/content")
        #expect(status == 200 && count == bytes.count)
        #expect(digest == sha256(bytes))
        #expect(restarted.storedBlobCount() == 1)
        #expect(partFiles(restarted).isEmpty, "the upload's bytes are gone once they are a blob")
        let messages = try await fred.request(.GET, "/v1/rooms/\(world.room)/messages")
        let message = try #require((messages.json["items"] as? [[String: Any]])?.first)
        #expect(message["text"] as? String == "the big one")
        #expect((message["attachments"] as? [[String: Any]])?.first?["id"] as? String == id)
    }

    /// A chunk whose checksum does not match is answered 460 and dropped; the same chunk with the right one lands.
    @Test func aChunkWithAWrongChecksumIsDropped() async throws {
        let world = try await World.make()
        let bytes = pseudoRandomBytes(300_000, seed: 3)
        let file = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let refused = try await tuspy("bad-checksum", world.fred, room: world.room, file: file, ["--chunk", "100000"])
        #expect(refused["error"] as? Int == 460)
        let url = try #require(refused["url"] as? String)
        let head = try await world.fred.request(.HEAD, try #require(URL(string: url)?.path), headers: [("Tus-Resumable", "1.0.0")])
        #expect(head.headers.first(name: "Upload-Offset") == "0", "the bad chunk was not kept")
        let resumed = try await tuspy("resume", world.fred, room: world.room, file: file,
                                      ["--url", url, "--chunk", "100000", "--checksum"])
        #expect(resumed["offset"] as? Int == 300_000)
        let list = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/attachments")
        #expect((list.json["items"] as? [[String: Any]])?.first?["sha256"] as? String == sha256(bytes).hex)
    }

    /// Termination deletes the upload and its bytes; a client that comes back later finds nothing.
    @Test func terminationDeletesTheUpload() async throws {
        let world = try await World.make()
        let file = try temporaryFile(pseudoRandomBytes(200_000, seed: 4))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let started = try await tuspy("start", world.fred, room: world.room, file: file, ["--chunk", "50000", "--chunks", "1"])
        let url = try #require(started["url"] as? String)
        #expect(partFiles(world.tackd).count == 1)
        let other = try await tuspy("terminate", world.mallory, ["--url", url])
        #expect(other["status"] as? Int == 404, "only the creator may end it")
        let ended = try await tuspy("terminate", world.fred, ["--url", url])
        #expect(ended["status"] as? Int == 204)
        #expect(partFiles(world.tackd).isEmpty)
        let resumed = try await tuspy("resume", world.fred, room: world.room, file: file, ["--url", url])
        #expect(resumed["error"] as? Int == 404)
    }

    /// An upload left alone past `upload_expiry_seconds` answers 404 and the sweeper deletes its bytes.
    @Test func anAbandonedUploadExpires() async throws {
        // Long enough for the first chunk to land on a loaded machine; nothing here depends on seeing it alive.
        let world = try await World.make(config: ["upload_expiry_seconds": "4"])
        let file = try temporaryFile(pseudoRandomBytes(200_000, seed: 5))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let started = try await tuspy("start", world.fred, room: world.room, file: file, ["--chunk", "50000", "--chunks", "1"])
        let url = try #require(started["url"] as? String)
        // A file no upload claims (its row went with another instance's termination), last written an hour ago.
        let orphan = "\(world.tackd.storage)/uploads/\(UploadID.make()).part"
        #expect(FileManager.default.createFile(atPath: orphan, contents: Data(repeating: 1, count: 100)))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: orphan)
        let deadline = ContinuousClock.now + .seconds(30)
        while !partFiles(world.tackd).isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(partFiles(world.tackd).isEmpty, "the sweeper deleted the expired upload's bytes")
        let resumed = try await tuspy("resume", world.fred, room: world.room, file: file, ["--url", url])
        #expect(resumed["error"] as? Int == 404)
    }

    /// Two PATCHes to one upload at once: one is refused (409) while the other runs; the bytes the first had synced
    /// when its client vanished are kept, and the offset never goes backwards.
    @Test func concurrentPatchesNeverMoveTheOffsetBack() async throws {
        let world = try await World.make()
        let tus = [("Tus-Resumable", "1.0.0")]
        let created = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/uploads",
                                                   headers: tus + [("Upload-Length", String(4 << 20))])
        #expect(created.status == 201)
        let path = try #require(created.headers.first(name: "Location"))
        let chunk = tus + [("Content-Type", "application/offset+octet-stream"), ("Upload-Offset", "0")]
        let fred = world.fred
        let stalled = Task {
            try? await fred.request(.PATCH, path, headers: chunk,
                                    body: .stream(StallingBody(first: 2 << 20), length: .known(Int64(4 << 20))))
        }
        // Bytes reach the upload's file once the stalled PATCH has passed its write buffer (1 MiB): it holds the
        // upload from then on.
        let id = try #require(path.split(separator: "/").last)
        let file = "\(world.tackd.storage)/uploads/\(id).part"
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline,
              ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) == 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let busy = try await fred.request(.PATCH, path, headers: chunk).errorCode == "upload_busy"
        #expect(busy)
        let second = try await fred.request(.PATCH, path, headers: chunk, body: .bytes(ByteBuffer(repeating: 0x62, count: 1000)))
        #expect(second.status == 409 && second.errorCode == "upload_busy")
        #expect(second.headers.first(name: "Tus-Resumable") == "1.0.0", "refusals carry Tus-Resumable too")
        let ended = try await fred.request(.DELETE, path, headers: tus)
        #expect(ended.status == 409 && ended.errorCode == "upload_busy", "no termination under a running PATCH")
        // The first PATCH's client goes away after its first 2 MiB arrived.
        try await Task.sleep(for: .milliseconds(500))
        stalled.cancel()
        _ = await stalled.value
        var offset = 0
        let settled = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < settled {
            let head = try await fred.request(.HEAD, path, headers: tus)
            offset = Int(head.headers.first(name: "Upload-Offset") ?? "") ?? -1
            if offset > 0, try await fred.request(.PATCH, path, headers: chunk).errorCode != "upload_busy" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // At least the MiB seen in the file; all 2 MiB unless the client was cancelled before the rest arrived.
        #expect(((1 << 20)...(2 << 20)).contains(offset), "what arrived before the client left is kept: \(offset)")
        let stale = try await fred.request(.PATCH, path, headers: chunk, body: .bytes(ByteBuffer(repeating: 0x62, count: 10)))
        #expect(stale.status == 409 && stale.errorCode == "offset_mismatch")
        let head = try await fred.request(.HEAD, path, headers: tus)
        #expect(head.headers.first(name: "Upload-Offset") == String(offset), "the refused PATCHes moved nothing")
    }

    /// tackd killed after the last byte is synced but before the attachment exists: the restarted tackd finishes it.
    @Test func aCrashBetweenTheLastByteAndTheAttachmentFinishesOnRestart() async throws {
        let tackd = try Tackd()
        let token = try await tackd.addUser("carol", role: "client")
        try await tackd.start(environment: ["TACK_FAILPOINT": "tus-full"])
        let carol = API(base: tackd.base, token: token)
        let room = try #require(try await carol.json(.POST, "/v1/rooms", ["name": "R"]).json["id"] as? String)
        let bytes = pseudoRandomBytes(123_456, seed: 6)
        let tus = [("Tus-Resumable", "1.0.0")]
        let created = try await carol.request(
            .POST, "/v1/rooms/\(room)/uploads",
            headers: tus + [("Upload-Length", String(bytes.count)), ("Upload-Metadata", "filename \(Data("late.bin".utf8).base64EncodedString())")])
        let path = try #require(created.headers.first(name: "Location"))
        _ = try? await carol.request(
            .PATCH, path, headers: tus + [("Content-Type", "application/offset+octet-stream"), ("Upload-Offset", "0")],
            body: .bytes(ByteBuffer(bytes: bytes)))
        for _ in 0..<100 where tackd.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!tackd.isRunning, "the failpoint stopped tackd")

        let restarted = try Tackd(storage: tackd.storage)
        try await restarted.start()
        defer { restarted.kill() }
        let again = API(base: restarted.base, token: token)
        var attachment: String?
        let deadline = ContinuousClock.now + .seconds(30)
        while attachment == nil && ContinuousClock.now < deadline {
            attachment = try await again.request(.GET, path).json["attachment"] as? String
            if attachment == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let id = try #require(attachment)
        let (_, _, digest, _) = try await again.downloadDigest("/v1/attachments/\(id)/content")
        #expect(digest == sha256(bytes))
        let head = try await again.request(.HEAD, path, headers: tus)
        #expect(head.headers.first(name: "Tack-Attachment") == id)
        #expect(head.headers.first(name: "Upload-Offset") == String(bytes.count))
    }

    /// The protocol's refusals, each with its status and a JSON body: no version, no such upload, someone else's,
    /// a declared length past the limit or the quota, a PATCH that is not a chunk, an offset that does not match.
    @Test func refusalsFollowTheProtocol() async throws {
        let world = try await World.make(config: ["max_upload_bytes": "1MiB"])
        let tus = [("Tus-Resumable", "1.0.0")]
        let uploads = "/v1/rooms/\(world.room)/uploads"
        let unversioned = try await world.fred.request(.POST, uploads, headers: [("Upload-Length", "10")])
        #expect(unversioned.status == 412 && unversioned.errorCode == "tus_version")
        #expect(unversioned.headers.first(name: "Tus-Version") == "1.0.0")
        let tooBig = try await world.fred.request(.POST, uploads, headers: tus + [("Upload-Length", String(2 << 20))])
        #expect(tooBig.status == 413 && tooBig.errorCode == "too_large")
        let neither = try await world.fred.request(.POST, uploads, headers: tus)
        #expect(neither.status == 400 && neither.errorCode == "invalid_tus_header")
        let badMetadata = try await world.fred.request(.POST, uploads, headers: tus + [("Upload-Length", "10"), ("Upload-Metadata", "filename !!!")])
        #expect(badMetadata.status == 400)
        let outsider = try await world.mallory.request(.POST, uploads, headers: tus + [("Upload-Length", "10")])
        #expect(outsider.status == 404, "not a member of the room")

        // Deferred length, set by the PATCH that knows it; creation-with-upload sends the first bytes at once.
        let created = try await world.fred.request(
            .POST, uploads, headers: tus + [("Upload-Defer-Length", "1"), ("Content-Type", "application/offset+octet-stream")],
            body: .bytes(ByteBuffer(string: "hello ")))
        #expect(created.status == 201)
        #expect(created.headers.first(name: "Upload-Offset") == "6")
        let path = try #require(created.headers.first(name: "Location"))
        let head = try await world.fred.request(.HEAD, path, headers: tus)
        #expect(head.headers.first(name: "Upload-Defer-Length") == "1")
        // A day from now (upload_expiry_seconds), as an HTTP date.
        let expires = try #require(head.headers.first(name: "Upload-Expires"))
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        parser.timeZone = TimeZone(identifier: "UTC")
        let when = try #require(parser.date(from: expires), "\(expires)")
        #expect(abs(when.timeIntervalSinceNow - 86_400) < 600)
        #expect(head.headers.first(name: "Cache-Control") == "no-store")
        #expect(try await world.mallory.request(.HEAD, path, headers: tus).status == 404)
        #expect(try await world.carol.request(.GET, path).status == 404, "only its creator sees an upload")
        let notAChunk = try await world.fred.request(.PATCH, path, headers: tus + [("Upload-Offset", "6")],
                                                     body: .bytes(ByteBuffer(string: "world")))
        #expect(notAChunk.status == 415)
        let chunk = tus + [("Content-Type", "application/offset+octet-stream")]
        let wrongOffset = try await world.fred.request(.PATCH, path, headers: chunk + [("Upload-Offset", "3")],
                                                       body: .bytes(ByteBuffer(string: "world")))
        #expect(wrongOffset.status == 409 && wrongOffset.errorCode == "offset_mismatch")
        let unknownAlgorithm = try await world.fred.request(
            .PATCH, path, headers: chunk + [("Upload-Offset", "6"), ("Upload-Checksum", "md5 AAAA")], body: .bytes(ByteBuffer(string: "world")))
        #expect(unknownAlgorithm.status == 400 && unknownAlgorithm.errorCode == "unsupported_checksum")
        let sha256 = Data(SHA256.hash(data: Data("world".utf8))).base64EncodedString()
        let last = try await world.fred.request(
            .PATCH, path, headers: chunk + [("Upload-Offset", "6"), ("Upload-Length", "11"), ("Upload-Checksum", "sha256 \(sha256)")],
            body: .bytes(ByteBuffer(string: "world")))
        #expect(last.status == 204)
        let id = try #require(last.headers.first(name: "Tack-Attachment"))
        let content = try await world.fred.request(.GET, "/v1/attachments/\(id)/content")
        #expect(content.text == "hello world")
        let pastTheEnd = try await world.fred.request(.PATCH, path, headers: chunk + [("Upload-Offset", "11")],
                                                      body: .bytes(ByteBuffer(string: "!")))
        #expect(pastTheEnd.status == 409, "a complete upload takes no more bytes")

        // Through a proxy that passes only GET and POST: X-HTTP-Method-Override names the method, for uploads only.
        let proxied = try #require(try await world.fred.request(.POST, uploads, headers: tus + [("Upload-Length", "3")])
            .headers.first(name: "Location"))
        let overridden = try await world.fred.request(
            .POST, proxied, headers: chunk + [("Upload-Offset", "0"), ("X-HTTP-Method-Override", "PATCH")],
            body: .bytes(ByteBuffer(string: "abc")))
        #expect(overridden.status == 204 && overridden.headers.first(name: "Tack-Attachment") != nil, "\(overridden.text)")
        let elsewhere = try await world.fred.request(.POST, "/v1/attachments/\(id)", headers: [("X-HTTP-Method-Override", "DELETE")])
        #expect(elsewhere.status == 404 || elsewhere.status == 405, "no other route is reachable by another name")
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(id)").status == 200)
    }

    /// The quota is checked again as bytes arrive: a deferred-length upload cannot slip past it.
    @Test func bytesPastTheQuotaAreRefusedAsTheyArrive() async throws {
        let world = try await World.make()
        _ = try await world.tackd.admin(["user", "quota", "fred", "100KiB"])
        let tus = [("Tus-Resumable", "1.0.0")]
        let declared = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/uploads",
                                                    headers: tus + [("Upload-Length", String(200 << 10))])
        #expect(declared.status == 413 && declared.errorCode == "quota_exceeded")
        let created = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/uploads",
                                                   headers: tus + [("Upload-Defer-Length", "1")])
        let path = try #require(created.headers.first(name: "Location"))
        let chunk = tus + [("Content-Type", "application/offset+octet-stream"), ("Upload-Offset", "0")]
        let over = try await world.fred.request(
            .PATCH, path, headers: chunk, body: .stream(StallingBody(first: 200 << 10), length: .unknown))
        #expect(over.status == 413 && over.errorCode == "quota_exceeded", "\(over.status) \(over.text)")
        let head = try await world.fred.request(.HEAD, path, headers: tus)
        #expect(head.headers.first(name: "Upload-Offset") == "0", "the refused bytes were not kept")
        #expect(try await world.fred.request(.DELETE, path, headers: tus).status == 204)

        // Unfinished uploads hold their length against the quota: many half-sent ones cannot fill the disk.
        let first = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/uploads",
                                                 headers: tus + [("Upload-Length", String(60 << 10))])
        #expect(first.status == 201)
        let second = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/uploads",
                                                  headers: tus + [("Upload-Length", String(60 << 10))])
        #expect(second.status == 413 && second.errorCode == "quota_exceeded", "\(second.text)")
        #expect(try await world.fred.request(.DELETE, try #require(first.headers.first(name: "Location")), headers: tus).status == 204)
        let third = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/uploads",
                                                 headers: tus + [("Upload-Length", String(60 << 10))])
        #expect(third.status == 201, "ending an upload gives its share back")
    }

    /// A creation retried with the same Idempotency-Key gets the first upload; once that upload made its
    /// attachment, the key answers with an upload complete at once (nothing is sent or stored twice). An empty file
    /// is an attachment the moment its upload exists.
    @Test func creationsWithAKeyAreNeverDuplicated() async throws {
        let world = try await World.make()
        let tus = [("Tus-Resumable", "1.0.0")]
        let uploads = "/v1/rooms/\(world.room)/uploads"
        let keyed = tus + [("Upload-Length", "5"), ("Idempotency-Key", "tack-entry-0")]
        let first = try await world.fred.request(.POST, uploads, headers: keyed)
        let again = try await world.fred.request(.POST, uploads, headers: keyed)
        let path = try #require(first.headers.first(name: "Location"))
        #expect(first.status == 201 && again.headers.first(name: "Location") == path)
        let other = try await world.carol.request(.POST, uploads, headers: keyed)
        #expect(other.headers.first(name: "Location") != path, "keys are each member's own")
        let done = try await world.fred.request(
            .PATCH, path, headers: tus + [("Content-Type", "application/offset+octet-stream"), ("Upload-Offset", "0")],
            body: .bytes(ByteBuffer(string: "hello")))
        let attachment = try #require(done.headers.first(name: "Tack-Attachment"))
        #expect(try await world.fred.request(.DELETE, path, headers: tus).status == 204)
        // Its upload gone (ended here; expired, say, for a client that comes back a week later): the key still knows.
        let later = try await world.fred.request(.POST, uploads, headers: keyed)
        #expect(later.status == 201 && later.headers.first(name: "Tack-Attachment") == attachment)
        #expect(later.headers.first(name: "Upload-Offset") == "5")
        let summary = try await world.fred.request(.GET, try #require(later.headers.first(name: "Location")))
        #expect(summary.json["attachment"] as? String == attachment)
        #expect(summary.json["receivedSha256"] as? String == sha256(Array("hello".utf8)).hex)
        let items = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(items?.count == 1)

        let empty = try await world.fred.request(
            .POST, uploads, headers: tus + [("Upload-Length", "0"), ("Upload-Metadata", "filename \(Data("empty.txt".utf8).base64EncodedString())")])
        #expect(empty.status == 201 && empty.headers.first(name: "Tack-Attachment") != nil, "\(empty.headers)")
    }

    /// OPTIONS says what the server speaks, without a token.
    @Test func optionsAdvertisesTheExtensions() async throws {
        let world = try await World.make(config: ["max_upload_bytes": "5MiB"])
        let reply = try await API(base: world.tackd.base, token: nil).request(.OPTIONS, "/v1/rooms/\(world.room)/uploads")
        #expect(reply.status == 204)
        #expect(reply.headers.first(name: "Tus-Version") == "1.0.0")
        #expect(reply.headers.first(name: "Tus-Max-Size") == String(5 << 20))
        #expect(reply.headers.first(name: "Tus-Checksum-Algorithm") == "sha1,sha256")
        let extensions = Set((reply.headers.first(name: "Tus-Extension") ?? "").split(separator: ",").map(String.init))
        #expect(extensions == ["creation", "creation-with-upload", "creation-defer-length", "termination", "checksum", "expiration"])
    }
}
