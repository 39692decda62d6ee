import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TackCore

/// Bad input gets a 4xx with a clear code, and nothing is stored or damaged.
@Suite(.timeLimit(.minutes(5))) struct RefusalTests {
    @Test func tokensAreRequired() async throws {
        let world = try await World.make()
        let anonymous = API(base: world.tackd.base, token: nil)
        let missing = try await anonymous.request(.GET, "/v1/rooms")
        #expect(missing.status == 401)
        #expect(missing.errorCode == "unauthenticated")
        #expect(missing.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
        let wrong = try await API(base: world.tackd.base, token: "tack_not-a-real-token").request(.GET, "/v1/rooms")
        #expect(wrong.status == 401)
        let basic = try await anonymous.request(.GET, "/v1/rooms", headers: [("Authorization", "Basic Y2Fyb2w6eA==")])
        #expect(basic.status == 401)
        let upload = try await anonymous.upload([1, 2, 3], room: world.room)
        #expect(upload.status == 401)
        #expect(world.tackd.storedBlobCount() == 0)
    }

    @Test func oversizeBodiesAreStoppedEarly() async throws {
        let world = try await World.make(["--max-upload-bytes", "1MiB"])
        // Declares 1 GiB but sends 64 KiB and then waits: tackd must answer without waiting for the rest.
        let declared = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments?name=big.bin",
            body: .stream(StallingBody(first: 65536), length: .known(Int64(1 << 30))))
        #expect(declared.status == 413)
        #expect(declared.errorCode == "too_large")

        // Chunked, no length: refused once the limit is crossed, before the (endless) body ends.
        let chunked = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments?name=big.bin",
            body: .stream(StallingBody(first: 2 << 20), length: .unknown))
        #expect(chunked.status == 413)
        #expect(chunked.errorCode == "too_large")
        #expect(world.tackd.storedBlobCount() == 0)
        #expect(world.tackd.stagingFiles().isEmpty)

        let fits = try await world.carol.upload(pseudoRandomBytes(1 << 20, seed: 1), room: world.room)
        #expect(fits.status == 201, "exactly the limit is allowed")
    }

    @Test func refusedUploadsAreNotReadToTheEnd() async throws {
        let world = try await World.make(["--max-upload-bytes", "1MiB"])
        // Unauthenticated, unknown room, and over the limit: each answered, then the connection ends, although
        // the client announced far more body than it sent.
        let cases = [
            ("Authorization: Bearer nope", world.room, 1 << 30),
            ("Authorization: Bearer \(world.carol.token!)", "room_doesnotexistdoesnotexist12", 1 << 30),
            ("Authorization: Bearer \(world.carol.token!)", world.room, 1 << 30),
        ]
        for (auth, room, length) in cases {
            let connection = try RawConnection(port: world.tackd.port)
            connection.send(Array("POST /v1/rooms/\(room)/attachments?name=x.bin HTTP/1.1\r\nHost: t\r\n\(auth)\r\nContent-Length: \(length)\r\n\r\n".utf8))
            connection.send([UInt8](repeating: 0x61, count: 65536))
            let head = connection.readHead()
            #expect(head.hasPrefix("HTTP/1.1 4"), "\(head)")
            #expect(connection.readsToEnd(), "tackd kept reading a refused body (\(head.prefix(12)))")
        }
    }

    @Test func digestMismatchStoresNothing() async throws {
        let world = try await World.make()
        let bytes = pseudoRandomBytes(10_000, seed: 2)
        let reply = try await world.carol.upload(
            bytes, room: world.room, headers: [("Content-Digest", "sha-256=:\(sha256([0]).base64):")])
        #expect(reply.status == 400)
        #expect(reply.errorCode == "digest_mismatch")
        #expect(world.tackd.storedBlobCount() == 0)
        #expect(world.tackd.stagingFiles().isEmpty)
        let list = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments")
        #expect((list.json["items"] as? [Any])?.isEmpty == true)
        let broken = try await world.carol.upload(bytes, room: world.room, headers: [("Content-Digest", "sha-256=nonsense")])
        #expect(broken.errorCode == "invalid_digest")
        let unsupported = try await world.carol.upload(bytes, room: world.room, headers: [("Content-Digest", "md5=:AAAA:")])
        #expect(unsupported.errorCode == "unsupported_digest")
    }

    @Test(arguments: ["../../etc/passwd", "..\\boot.ini", "a/b.txt", "..", "bell\u{7}.txt", "new\nline.txt",
                      "nul\u{0}.png", "invoice\u{202E}fdp.exe"])
    func badNamesAreRefused(name: String) async throws {
        let world = try await World.make()
        let reply = try await world.carol.upload([1, 2, 3], room: world.room, name: name)
        #expect(reply.status == 400)
        #expect(reply.errorCode == "invalid_name")
        #expect(world.tackd.storedBlobCount() == 0)
    }

    @Test func unknownAndForeignThingsAre404() async throws {
        let world = try await World.make()
        for path in ["/v1/rooms/room_doesnotexistdoesnotexist12/attachments", "/v1/rooms/nonsense/attachments",
                     "/v1/attachments/att_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/v1/attachments/../../etc/passwd/content"] {
            let reply = try await world.carol.request(.GET, path)
            #expect(reply.status == 404, "\(path)")
            #expect(reply.errorCode != nil, "\(path): \(reply.text)")
        }
        let upload = try await world.carol.upload([1], room: "room_doesnotexistdoesnotexist12")
        #expect(upload.status == 404)
        #expect(upload.errorCode == "not_found")
    }

    @Test func badJSONIsRefused() async throws {
        let world = try await World.make()
        let broken = try await world.carol.request(.POST, "/v1/rooms", headers: [("Content-Type", "application/json")],
                                                   body: .bytes(ByteBuffer(string: "{\"name\": ")))
        #expect(broken.status == 400)
        #expect(broken.errorCode == "invalid_json")
        let wrongType = try await world.carol.json(.POST, "/v1/rooms", ["name": 42])
        #expect(wrongType.errorCode == "invalid_json")
        let missing = try await world.carol.json(.POST, "/v1/rooms/\(world.room)/members", ["who": "fred"])
        #expect(missing.errorCode == "invalid_json")
        let unknownUser = try await world.carol.json(.POST, "/v1/rooms", ["name": "x", "members": ["ghost"]])
        #expect(unknownUser.status == 400)
        #expect(unknownUser.errorCode == "unknown_user")
        let emptyName = try await world.carol.json(.POST, "/v1/rooms", ["name": "  "])
        #expect(emptyName.errorCode == "invalid_room_name")
    }
}

/// Sends `first` bytes and then never ends (until cancelled): a client still uploading.
struct StallingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let first: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: Int
        mutating func next() async throws -> ByteBuffer? {
            if remaining > 0 {
                let size = Swift.min(remaining, 65536)
                remaining -= size
                return ByteBuffer(repeating: 0x61, count: size)
            }
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: first) }
}
