import Foundation
import TackS3
import Testing

/// tackd with its blobs in a real S3 bucket (Ceph RGW on 127.0.0.1), configured as an operator would: `blobs` and
/// the keys in the config file, which `serve` and every admin command read alike.
@Suite(.timeLimit(.minutes(5))) struct S3BlobsTests {
    static func config(prefix: String, secret: String? = nil, bucket: String = TestS3.bucket) throws -> [String: String] {
        let (endpoint, credentials) = try TestS3.configuration()
        return ["blobs": "s3://\(bucket)?endpoint=\(endpoint)&prefix=\(prefix)",
                "s3_access_key_id": credentials.accessKeyID,
                "s3_secret_access_key": secret ?? credentials.secretAccessKey]
    }

    @Test func uploadsDownloadsThumbnailsAndCollectsThroughTheBucket() async throws {
        let prefix = "e2e-\(UUID().uuidString.lowercased())/"
        let bucket = try await TestS3.client(prefix: prefix)
        // Kept byte for byte (no metadata stripping), so what comes back can be compared with the file.
        let world = try await World.make(config: try Self.config(prefix: prefix).merging(["strip_metadata": "false"]) { $1 })
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let id = try #require(try await world.carol.upload(photo, room: world.room, name: "dune.jpg").json["id"] as? String)

        let (status, _, digest, _) = try await world.fred.downloadDigest("/v1/attachments/\(id)/content")
        #expect(status == 200 && digest == sha256(photo))
        let range = try await world.fred.request(.GET, "/v1/attachments/\(id)/content", headers: [("Range", "bytes=100-199")])
        #expect(range.status == 206 && range.body == Array(photo[100...199]))
        // The thumbnail is decoded from a local copy of the bucket's blob and stored back in the bucket.
        let thumbnail = try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(thumbnail.status == 200 && thumbnail.body.starts(with: [0xFF, 0xD8]))
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)/content").status == 404)

        let stored = try await bucket.objects(withPrefix: "sha256/")
        #expect(stored.contains { $0.key == "sha256/\(sha256(photo).hex)" && $0.size == Int64(photo.count) })
        #expect(stored.count >= 2, "the photo and its thumbnail")
        #expect(try await bucket.objects(withPrefix: "tmp/").isEmpty, "no staging left behind")
        #expect(world.tackd.storedBlobCount() == 0, "nothing is written to the local blob folder")

        #expect(try await world.carol.request(.DELETE, "/v1/attachments/\(id)").status == 204)
        let report = try await world.tackd.admin(["gc"])
        #expect(report.contains("removed \(stored.count)"), "\(report)")
        #expect(try await bucket.objects(withPrefix: "").map(\.key) == ["catalog-id"], "only the catalog's mark is left")
    }

    /// Until several instances share one catalog, a second catalog on the same bucket and prefix would collect
    /// every blob the first one references: it is refused at start-up, and so is migrating into such a store.
    @Test func aBucketServesOneCatalog() async throws {
        let prefix = "one-\(UUID().uuidString.lowercased())/"
        _ = try await TestS3.client(prefix: prefix)  // makes the bucket on a fresh RGW
        let config = try Self.config(prefix: prefix)
        let first = try await World.make(config: config)
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        #expect(try await first.carol.upload(photo, room: first.room, name: "dune.jpg").status == 201)

        let second = try Tackd()
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(second.storage)/tackd.json"))
        let stderr = "\(second.storage)/stderr.log"
        await #expect { try await second.start(stderr: stderr) } throws: { "\($0)".contains("exited during start-up") }
        let said = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        #expect(said.contains("holds the blobs of another catalog") && said.split(separator: "\n").count == 1, "\(said)")
        await #expect(throws: (any Error).self) {
            try await second.admin(["migrate-storage", "--to-blobs", try #require(config["blobs"])])
        }
        // The first instance is untouched: its file is still there.
        let id = try #require(try await first.carol.request(.GET, "/v1/rooms/\(first.room)/attachments")
            .json["items"].flatMap { ($0 as? [[String: Any]])?.first?["id"] as? String })
        #expect(try await first.fred.request(.GET, "/v1/attachments/\(id)/content").status == 200)
    }

    @Test func anEmbeddedStoreMovesIntoTheBucketAndKeepsEveryFile() async throws {
        let prefix = "move-\(UUID().uuidString.lowercased())/"
        let bucket = try await TestS3.client(prefix: prefix)
        var config = try Self.config(prefix: prefix)
        let removed = config.removeValue(forKey: "blobs")
        let target = try #require(removed)
        // The keys are in the config file from the start; the blobs are in the embedded folder.
        let world = try await World.make(config: config.merging(["strip_metadata": "false"]) { $1 })
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        var files: [String: [UInt8]] = [:]
        for (name, bytes) in [("dune.jpg", photo), ("notes.txt", Array("minutes\n".utf8)),
                              ("big.bin", pseudoRandomBytes((6 << 20) + 1, seed: 4)), ("again.jpg", photo)] {
            files[try #require(try await world.carol.upload(bytes, room: world.room, name: name).json["id"] as? String)] = bytes
        }
        let photoID = try #require(files.first { $0.value == photo }?.key)
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(photoID)/thumbnail?size=320").status == 200)
        let blobs = world.tackd.storedBlobCount()

        let first = try await world.tackd.admin(["migrate-storage", "--to-blobs", target])
        #expect(first.contains("copied \(blobs) blobs"), "\(first)")
        // Interrupted before the last blob landed: the rerun copies that one only.
        let stored = try await bucket.objects(withPrefix: "sha256/")
        try await bucket.delete(try #require(stored.last).key)
        let second = try await world.tackd.admin(["migrate-storage", "--to-blobs", target])
        #expect(second.contains("copied 1 blobs") && second.contains("\(blobs - 1) were there already"), "\(second)")

        // Switch over: the local folder is gone, every attachment reads from the bucket, byte for byte.
        world.tackd.kill()
        try FileManager.default.moveItem(atPath: "\(world.tackd.storage)/blobs", toPath: "\(world.tackd.storage)/blobs.old")
        config["blobs"] = target
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(world.tackd.storage)/tackd.json"))
        try await world.tackd.start()
        let fred = API(base: world.tackd.base, token: world.fred.token)
        for (id, bytes) in files {
            let (status, _, digest, _) = try await fred.downloadDigest("/v1/attachments/\(id)/content")
            #expect(status == 200 && digest == sha256(bytes), "\(id)")
        }
        let thumbnail = try await fred.request(.GET, "/v1/attachments/\(photoID)/thumbnail?size=320")
        #expect(thumbnail.status == 200 && thumbnail.body.starts(with: [0xFF, 0xD8]))
        #expect(try await bucket.objects(withPrefix: "sha256/").count == blobs, "no thumbnail had to be made again")
    }

    @Test func badS3SettingsStopStartUpWithTheReason() async throws {
        _ = try await TestS3.client()  // the bucket exists: only what each case breaks is wrong
        let (endpoint, credentials) = try TestS3.configuration()
        let refusing = try RefusingPort()
        let cases: [([String: String], String)] = [
            (try Self.config(prefix: "p/", secret: "wrong-secret"), "SignatureDoesNotMatch"),
            (try Self.config(prefix: "p/", bucket: "no-such-bucket-tack"), "NoSuchBucket"),
            (["blobs": "s3://\(TestS3.bucket)?endpoint=\(endpoint)"], "TACK_S3_SECRET_ACCESS_KEY"),
            (["blobs": "s3://\(TestS3.bucket)?endpoint=http://127.0.0.1:\(refusing.port)",
              "s3_access_key_id": "a", "s3_secret_access_key": "b"], "unreachable"),
            (["blobs": "s3://Bad_Bucket"], "not a bucket name"),
            (["blobs": "ftp://x"], "must be file:PATH or s3://"),
        ]
        for (config, reason) in cases {
            let tackd = try Tackd()
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(tackd.storage)/tackd.json"))
            let stderr = "\(tackd.storage)/stderr.log"
            await #expect { try await tackd.start(stderr: stderr) } throws: { error in
                "\(error)".contains("exited during start-up")
            }
            let said = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            #expect(said.contains(reason), "\(config["blobs"] ?? ""): \(said)")
            #expect(!said.contains(credentials.secretAccessKey) && !said.contains("wrong-secret"), "secrets never printed")
            #expect(said.split(separator: "\n").count == 1, "one plain line: \(said)")
        }
    }
}
