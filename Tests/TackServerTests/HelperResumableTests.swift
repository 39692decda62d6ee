import Crypto
import Foundation
import TackCore
import TackImage
import TackTestSupport
import Testing

/// `tack put` of a large file goes through tus: killed mid-file, `tack outbox flush` sends only what the server
/// does not have yet.
@Suite(.timeLimit(.minutes(5))) struct HelperResumableTests {
    /// tackd's count of bytes resumable PATCHes delivered, from `/metrics`.
    func resumableBytes(_ tackd: Tackd) async throws -> Double {
        let scrape = try await API(base: tackd.base, token: nil).request(.GET, "/metrics")
        return try ObservabilityTests.parse(scrape.text).samples.first { $0.name == "tack_resumable_upload_bytes_total" }?.value ?? 0
    }

    @Test func aPutKilledAtSixtyPercentSendsOnlyTheRestOnFlush() async throws {
        let world = try await World.make(config: ["max_upload_bytes": "300MiB"])
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        // 200 MiB: a random 8 MiB block 25 times, each with its index in front, hashed as it is written.
        let size = 200 << 20
        let file = "\(helper.home)/big.bin"
        try #require(FileManager.default.createFile(atPath: file, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        var hasher = SHA256()
        var block = pseudoRandomBytes(8 << 20, seed: 200)
        for index in 0..<25 {
            block[0] = UInt8(index)
            hasher.update(data: block)
            try handle.write(contentsOf: block)
        }
        try handle.close()
        let expected = ContentHash(bytes: hasher.finalize())!

        // tack kills itself (SIGKILL) once libcurl has sent 60 % of the file: the point is fixed by the bytes, not
        // by when a loaded machine lets this test look.
        let crashed = try await helper.run(["put", file, "--room", world.room], extra: ["TACK_FAILPOINT": "resumable-60-percent"])
        #expect(crashed.reason == .uncaughtSignal, "\(crashed)")
        let deadline = ContinuousClock.now + .seconds(120)

        // The outbox entry knows its upload; tackd keeps what arrived before the connection broke.
        let entry = try #require(helper.outboxEntries().first)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(helper.outbox)/\(entry)/record.json")))
        let upload = try #require(((record as? [String: Any])?["items"] as? [[String: Any]])?.first?["upload"] as? String)
        var offset = 0
        while offset == 0, ContinuousClock.now < deadline {
            offset = try await world.carol.request(.GET, upload).json["offset"] as? Int ?? 0
            if offset == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        // What libcurl had sent less what was still in flight when it died: about 60 %.
        #expect(offset >= size / 2 && offset < size, "kept \(offset) of \(size) bytes")

        let before = try await resumableBytes(world.tackd)
        let flush = try await helper.run(["outbox", "flush"])
        #expect(flush.status == 0, "\(flush)")
        let sent = try await resumableBytes(world.tackd) - before
        #expect(Int(sent) == size - offset, "the flush sent \(Int(sent)) bytes; \(size - offset) were missing")
        #expect(helper.outboxEntries().isEmpty)
        let items = try #require(try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["sha256"] as? String == expected.hex)
        #expect(items.first?["size"] as? Int == size)
    }

    /// A photo whose metadata tackd removes: the attachment's SHA-256 is of the cleaned bytes, yet tack confirms
    /// delivery by the SHA-256 of the bytes it sent, which the resumable upload reports too.
    @Test func aResumablePutOfAPhotoIsConfirmedByTheBytesSent() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let plain = try JPEGCodec.encode(RGBAImage(width: 120, height: 60, fill: (200, 100, 50, 255)), quality: 90)
        let photo = JPEGFixtures.withPrivateMetadata(plain, secret: "GPS 52.5200N 13.4050E")
        let file = "\(helper.home)/photo.jpg"
        try Data(photo).write(to: URL(fileURLWithPath: file))
        let put = try await helper.run(["put", file, "--room", world.room, "--message", "from the site"],
                                       extra: ["TACK_RESUMABLE_THRESHOLD": "1"])
        #expect(put.status == 0, "\(put)")
        #expect(try await resumableBytes(world.tackd) == Double(photo.count), "it went through tus")
        let items = try #require(try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["metadataStripped"] as? Bool == true)
        #expect(items.first?["sha256"] as? String != sha256(photo).hex)
        let messages = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/messages")
        let message = try #require((messages.json["items"] as? [[String: Any]])?.first)
        #expect(message["text"] as? String == "from the site")
        #expect((message["attachments"] as? [[String: Any]])?.first?["id"] as? String == items.first?["id"] as? String)
        let bad = try await helper.run(["put", file, "--room", world.room], extra: ["TACK_RESUMABLE_THRESHOLD": "lots"])
        #expect(bad.status != 0 && bad.stderr.split(separator: "\n").count == 1, "\(bad)")
    }
}
