import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TackImage

/// Real photos from Debian's mate-backgrounds (scripts/setup installs it): a baseline and a progressive JPEG.
enum RealPhotos {
    static let baseline = "/usr/share/backgrounds/mate/nature/Dune.jpg"       // 1680x1050
    static let progressive = "/usr/share/backgrounds/mate/nature/FreshFlower.jpg" // 1600x1203, progressive

    static func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError("\(path) is missing: run scripts/setup (it installs mate-backgrounds)")
        }
        return Array(data)
    }
}

@Suite(.timeLimit(.minutes(5))) struct ThumbnailServiceTests {
    /// Polls the attachment until its thumbnail state leaves `pending`.
    func settled(_ api: API, _ id: String) async throws -> [String: Any] {
        for _ in 0..<300 {
            let json = try await api.request(.GET, "/v1/attachments/\(id)").json
            if (json["thumbnail"] as? [String: Any])?["state"] as? String != "pending" { return json }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("the thumbnail of \(id) stayed pending")
    }

    /// How many thumbnails tackd has decoded and made (made or failed), from its own metrics: the evidence that a
    /// thumbnail was made once, which counting stored blobs is not (identical thumbnails dedup by content).
    func decodes(_ world: World) async throws -> Int {
        let scrape = try await API(base: world.tackd.base, token: nil).request(.GET, "/metrics").text
        let line = scrape.split(separator: "\n").first { $0.hasPrefix("tack_thumbnail_duration_seconds_count") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Int(Double($0) ?? -1) } ?? 0
    }

    @Test func photosGetThumbnailsMadeOnceAndServed() async throws {
        let world = try await World.make()
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let upload = try await world.fred.upload(photo, room: world.room, name: "dune.jpg")
        let id = try #require(upload.json["id"] as? String)
        let json = try await settled(world.carol, id)
        #expect((json["thumbnail"] as? [String: Any])?["state"] as? String == "ready")
        #expect(json["width"] as? Int == 1680 && json["height"] as? Int == 1050)

        let thumb = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail")
        #expect(thumb.status == 200)
        #expect(thumb.headers["Content-Type"].first == "image/jpeg")
        let decoded = try JPEGCodec.decode(thumb.body, limits: ImageLimits())
        #expect((decoded.width, decoded.height) == (320, 200))
        let etag = try #require(thumb.headers["ETag"].first)
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail", headers: [("If-None-Match", etag)]).status == 304)

        #expect(try await decodes(world) == 1, "the background job made the 320 px thumbnail; serving it decodes nothing")

        // Many clients asking at once for a size nobody made yet: one thumbnail is made.
        let before = world.tackd.storedBlobCount()
        let api = world.carol
        let etags = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<6 {
                group.addTask { try await api.request(.GET, "/v1/attachments/\(id)/thumbnail?size=800&method=crop").headers["ETag"].first }
            }
            return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
        }
        #expect(etags.count == 1 && etags.first! != nil)
        #expect(world.tackd.storedBlobCount() == before + 1)
        #expect(try await decodes(world) == 2, "six requests at once, one decode")
        let crop = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=800&method=crop")
        let square = try JPEGCodec.decode(crop.body, limits: ImageLimits())
        #expect((square.width, square.height) == (800, 800))

        // The same bytes shared again reuse the thumbnails.
        let again = try await world.carol.upload(photo, room: world.room, name: "copy.jpg")
        let againJSON = try await settled(world.carol, try #require(again.json["id"] as? String))
        #expect((againJSON["thumbnail"] as? [String: Any])?["state"] as? String == "ready")
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(try #require(again.json["id"] as? String))/thumbnail?size=800&method=crop").status == 200)
        #expect(world.tackd.storedBlobCount() == before + 1)
        #expect(try await decodes(world) == 2, "the same bytes again decode nothing")
    }

    @Test func progressiveJPEGsAndTransparentPNGs() async throws {
        let world = try await World.make()
        let progressive = try await world.carol.upload(try RealPhotos.bytes(RealPhotos.progressive), room: world.room, name: "f.jpg")
        let id = try #require(progressive.json["id"] as? String)
        let json = try await settled(world.carol, id)
        #expect((json["thumbnail"] as? [String: Any])?["state"] as? String == "ready", "\(json)")
        #expect(json["width"] as? Int == 1600 && json["height"] as? Int == 1203, "\(json)")
        let progressiveThumb = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        let made = try JPEGCodec.decode(progressiveThumb.body, limits: ImageLimits())
        #expect(made.width == 320 && abs(made.height - 241) <= 1, "\(made.width)x\(made.height)")
        // The pixels, against Pillow's Lanczos of the same photo (independent of tackd's decoder and resizer).
        let reference = try Pillow.lanczos(RealPhotos.progressive, width: made.width, height: made.height)
        #expect(psnr(made, reference) > 30, "PSNR \(psnr(made, reference)) dB")
        let png = try PNGCodec.encode(RGBAImage(width: 500, height: 400, fill: (0, 120, 255, 90)))
        let pngID = try #require(try await world.carol.upload(png, room: world.room, name: "a.png").json["id"] as? String)
        let thumb = try await world.carol.request(.GET, "/v1/attachments/\(pngID)/thumbnail?size=64")
        #expect(thumb.headers["Content-Type"].first == "image/png")
        let decoded = try PNGCodec.decode(thumb.body, limits: ImageLimits())
        #expect((decoded.width, decoded.height) == (64, 51))
        #expect(abs(Int(decoded.pixel(5, 5)[3]) - 90) <= 1, "alpha survives")
    }

    @Test func brokenImagesFailClearlyAndKeepTheirOriginal() async throws {
        let world = try await World.make()
        let broken = Array(try PNGCodec.encode(RGBAImage(width: 300, height: 300, fill: (1, 2, 3, 255))).prefix(60))
            + pseudoRandomBytes(3000, seed: 5)
        let id = try #require(try await world.carol.upload(broken, room: world.room, name: "broken.png").json["id"] as? String)
        let json = try await settled(world.carol, id)
        let state = try #require(json["thumbnail"] as? [String: Any])
        #expect(state["state"] as? String == "failed")
        #expect((state["reason"] as? String)?.isEmpty == false)
        let thumb = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail")
        #expect(thumb.status == 415)
        #expect(thumb.errorCode == "thumbnail_failed")
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(id)/content").body == broken)

        let text = try #require(try await world.carol.upload(Array("hi".utf8), room: world.room, name: "a.txt").json["id"] as? String)
        #expect(((try await world.carol.request(.GET, "/v1/attachments/\(text)").json["thumbnail"]) as? [String: Any])?["state"] as? String == "none")
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(text)/thumbnail").errorCode == "not_an_image")
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=321").errorCode == "invalid_size")
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)/thumbnail").status == 404)
    }

    @Test func deletingTheLastCopyLetsGcTakeItsThumbnails() async throws {
        let world = try await World.make()
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let id = try #require(try await world.carol.upload(photo, room: world.room, name: "d.jpg").json["id"] as? String)
        _ = try await settled(world.carol, id)
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=64").status == 200)
        #expect(world.tackd.storedBlobCount() == 3)
        #expect(try await world.carol.request(.DELETE, "/v1/attachments/\(id)").status == 204)
        let report = try await world.tackd.admin(["gc"])
        #expect(report.contains("removed 3"), "\(report)")
        #expect(world.tackd.storedBlobCount() == 0)
    }
}

@Suite(.timeLimit(.minutes(5))) struct MetadataStrippingTests {
    func photo() throws -> [UInt8] {
        let plain = try JPEGCodec.encode(RGBAImage(width: 120, height: 60, fill: (200, 100, 50, 255)), quality: 90)
        return JPEGFixtures.withPrivateMetadata(JPEGFixtures.withOrientation(plain, 6), secret: "GPS 52.5200N 13.4050E")
    }

    @Test func storedJPEGsLoseTheirMetadataButNotTheirOrientation() async throws {
        let world = try await World.make()
        let original = try photo()
        let reply = try await world.carol.upload(original, room: world.room, name: "home.jpg",
                                                 headers: [("Content-Digest", "sha-256=:\(sha256(original).base64):")])
        #expect(reply.status == 201, "the client's digest is checked against what it sent: \(reply.text)")
        #expect(reply.json["metadataStripped"] as? Bool == true)
        let id = try #require(reply.json["id"] as? String)
        let stored = try await world.carol.request(.GET, "/v1/attachments/\(id)/content").body
        #expect(!String(decoding: stored, as: UTF8.self).contains("GPS 52.5200N"))
        #expect(reply.json["sha256"] as? String == sha256(stored).hex, "the hash is of the stored bytes")
        #expect(reply.json["size"] as? Int == stored.count)
        let thumb = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=64")
        let decoded = try JPEGCodec.decode(thumb.body, limits: ImageLimits())
        #expect((decoded.width, decoded.height) == (32, 64), "still rotated upright")
        let wrong = try await world.carol.upload(original, room: world.room, headers: [("Content-Digest", "sha-256=:\(sha256(stored).base64):")])
        #expect(wrong.errorCode == "digest_mismatch")

        let png = try PNGCodec.encode(RGBAImage(width: 4, height: 4, fill: (1, 2, 3, 255)))
        let kept = try await world.carol.upload(png, room: world.room, name: "a.png")
        #expect(kept.json["metadataStripped"] as? Bool == false)
        #expect(kept.json["sha256"] as? String == sha256(png).hex)
    }

    @Test func operatorsCanKeepOriginalsByteForByte() async throws {
        let world = try await World.make(config: ["strip_metadata": "false"])
        let original = try photo()
        let reply = try await world.carol.upload(original, room: world.room, name: "home.jpg")
        #expect(reply.json["metadataStripped"] as? Bool == false)
        #expect(reply.json["sha256"] as? String == sha256(original).hex)
    }
}
