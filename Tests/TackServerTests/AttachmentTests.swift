import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TackCore

@Suite(.timeLimit(.minutes(5))) struct AttachmentTests {
    @Test func uploadAnswersWithTheAttachment() async throws {
        let world = try await World.make()
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pseudoRandomBytes(100, seed: 1)
        let reply = try await world.fred.upload(png, room: world.room, name: "Écran 1.png",
                                                headers: [("Content-Type", "text/html")])
        #expect(reply.status == 201, "\(reply.text)")
        let json = reply.json
        #expect(json["name"] as? String == "Écran 1.png")
        #expect(json["size"] as? Int == png.count)
        #expect(json["contentType"] as? String == "image/png", "the bytes decide, not the declared type")
        #expect(json["sha256"] as? String == sha256(png).hex)
        #expect(json["uploader"] as? String == "fred")
        #expect(json["room"] as? String == world.room)
        #expect((json["id"] as? String)?.hasPrefix("att_") == true)
        #expect((json["createdAt"] as? String)?.hasSuffix("Z") == true)
    }

    @Test(arguments: [0, 1, 64 * 1024 + 1, 50 * 1024 * 1024])
    func downloadsAreByteIdentical(size: Int) async throws {
        let world = try await World.make()
        let bytes = pseudoRandomBytes(size, seed: UInt64(size))
        let reply = try await world.carol.upload(bytes, room: world.room, name: "blob.bin",
                                                 headers: [("Content-Digest", "sha-256=:\(sha256(bytes).base64):")])
        #expect(reply.status == 201, "\(reply.text)")
        let id = try #require(reply.json["id"] as? String)
        let (status, headers, digest, count) = try await world.fred.downloadDigest("/v1/attachments/\(id)/content")
        #expect(status == 200)
        #expect(count == size)
        #expect(digest == sha256(bytes))
        #expect(headers["ETag"].first == "\"\(sha256(bytes).hex)\"")
        #expect(headers["Content-Length"].first == "\(size)")
    }

    @Test func rangesFollowRFC9110() async throws {
        let world = try await World.make()
        let bytes = Array("0123456789abcdefghij".utf8)
        let id = try #require(try await world.carol.upload(bytes, room: world.room, name: "r.txt").json["id"] as? String)
        let path = "/v1/attachments/\(id)/content"
        func get(_ range: String) async throws -> Reply { try await world.carol.request(.GET, path, headers: [("Range", range)]) }

        let first = try await get("bytes=0-0")
        #expect(first.status == 206)
        #expect(first.text == "0")
        #expect(first.headers["Content-Range"].first == "bytes 0-0/20")
        let last = try await get("bytes=19-19")
        #expect(last.status == 206)
        #expect(last.text == "j")
        let suffix = try await get("bytes=-3")
        #expect(suffix.status == 206)
        #expect(suffix.text == "hij")
        #expect(suffix.headers["Content-Range"].first == "bytes 17-19/20")
        let open = try await get("bytes=15-")
        #expect(open.text == "fghij")
        let past = try await get("bytes=20-30")
        #expect(past.status == 416)
        #expect(past.headers["Content-Range"].first == "bytes */20")
        for malformed in ["bytes=abc", "bytes=5-2", "lines=1-2"] {
            let reply = try await get(malformed)
            #expect(reply.status == 200, "\(malformed) must be ignored")
            #expect(reply.body == bytes)
        }
        let etag = try #require(first.headers["ETag"].first)
        let stale = try await world.carol.request(.GET, path, headers: [("Range", "bytes=0-0"), ("If-Range", "\"old\"")])
        #expect(stale.status == 200)
        let fresh = try await world.carol.request(.GET, path, headers: [("Range", "bytes=0-0"), ("If-Range", etag)])
        #expect(fresh.status == 206)
        let notModified = try await world.carol.request(.GET, path, headers: [("If-None-Match", etag)])
        #expect(notModified.status == 304)
        #expect(notModified.body.isEmpty)
        let head = try await world.carol.request(.HEAD, path)
        #expect(head.status == 200)
        #expect(head.headers["Content-Length"].first == "20")
        #expect(head.body.isEmpty)
        let headRange = try await world.carol.request(.HEAD, path, headers: [("Range", "bytes=0-0")])
        #expect(headRange.status == 200, "Range applies to GET only")
        #expect(past.headers["Content-Type"].first == "application/json")
        #expect(past.errorCode == "range_not_satisfiable")
        #expect(suffix.headers["Repr-Digest"].first == "sha-256=:\(sha256(bytes).base64):")
    }

    @Test func downloadsCannotRunInTheBrowser() async throws {
        let world = try await World.make()
        let html = Array("<!doctype html><script>alert(document.cookie)</script>".utf8)
        let id = try #require(try await world.carol.upload(html, room: world.room, name: "page.html").json["id"] as? String)
        let reply = try await world.carol.request(.GET, "/v1/attachments/\(id)/content")
        #expect(reply.headers["X-Content-Type-Options"].first == "nosniff")
        #expect(reply.headers["Content-Security-Policy"].first?.contains("sandbox") == true)
        #expect(reply.headers["Content-Disposition"].first?.hasPrefix("attachment;") == true)
        #expect(reply.headers["Content-Type"].first == "application/octet-stream")
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]
        let pngID = try #require(try await world.carol.upload(png, room: world.room, name: "a \"b\".png").json["id"] as? String)
        let image = try await world.carol.request(.GET, "/v1/attachments/\(pngID)/content")
        #expect(image.headers["Content-Type"].first == "image/png")
        let disposition = try #require(image.headers["Content-Disposition"].first)
        #expect(disposition.hasPrefix("inline;"))
        #expect(try ContentDisposition.fileName(fromHeader: disposition) == "a \"b\".png")
    }

    @Test func identicalBytesAreStoredOnceAndCollectedWhenUnused() async throws {
        let world = try await World.make()
        let other = try await world.carol.json(.POST, "/v1/rooms", ["name": "Second room"])
        let otherRoom = try #require(other.json["id"] as? String)
        let bytes = pseudoRandomBytes(200_000, seed: 9)
        let a = try await world.fred.upload(bytes, room: world.room, name: "one.bin")
        let b = try await world.carol.upload(bytes, room: otherRoom, name: "two.bin")
        #expect(a.status == 201 && b.status == 201)
        #expect(a.json["sha256"] as? String == b.json["sha256"] as? String)
        #expect(world.tackd.storedBlobCount() == 1)
        let idA = try #require(a.json["id"] as? String), idB = try #require(b.json["id"] as? String)

        #expect(try await world.fred.request(.DELETE, "/v1/attachments/\(idA)").status == 204)
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(idA)").status == 404)
        let (status, _, digest, _) = try await world.carol.downloadDigest("/v1/attachments/\(idB)/content")
        #expect(status == 200 && digest == sha256(bytes), "deleting one copy keeps the other readable")
        try await world.tackd.admin(["gc"])
        #expect(world.tackd.storedBlobCount() == 1, "gc must keep a blob that is still referenced")

        #expect(try await world.carol.request(.DELETE, "/v1/attachments/\(idB)").status == 204)
        let report = try await world.tackd.admin(["gc"])
        #expect(report.contains("removed 1"), "\(report)")
        #expect(world.tackd.storedBlobCount() == 0)
    }

    @Test func onlyUploaderOrCreatorDeletes() async throws {
        let world = try await World.make()
        let byCarol = try #require(try await world.carol.upload([1, 2, 3], room: world.room).json["id"] as? String)
        let byFred = try #require(try await world.fred.upload([4, 5, 6], room: world.room).json["id"] as? String)
        let denied = try await world.fred.request(.DELETE, "/v1/attachments/\(byCarol)")
        #expect(denied.status == 403)
        #expect(denied.errorCode == "not_allowed")
        #expect(try await world.mallory.request(.DELETE, "/v1/attachments/\(byFred)").status == 404)
        #expect(try await world.carol.request(.DELETE, "/v1/attachments/\(byFred)").status == 204)
    }

    @Test func listsNewestFirstWithCursors() async throws {
        let world = try await World.make()
        var ids: [String] = []
        for n in 0..<5 {
            let reply = try await world.carol.upload(Array("file \(n)".utf8), room: world.room, name: "f\(n).txt")
            ids.append(try #require(reply.json["id"] as? String))
        }
        var seen: [String] = []
        var path = "/v1/rooms/\(world.room)/attachments?limit=2"
        while true {
            let page = try await world.fred.request(.GET, path)
            #expect(page.status == 200)
            let items = try #require(page.json["items"] as? [[String: Any]])
            #expect(items.count <= 2)
            seen += items.compactMap { $0["id"] as? String }
            guard let next = page.json["next"] as? String else {
                #expect(page.json.keys.contains("next"), "next is present, null on the last page")
                break
            }
            path = "/v1/rooms/\(world.room)/attachments?limit=2&cursor=\(next)"
        }
        #expect(seen == ids.reversed())
        #expect(try await world.fred.request(.GET, "/v1/rooms/\(world.room)/attachments?limit=0").errorCode == "invalid_limit")
        #expect(try await world.fred.request(.GET, "/v1/rooms/\(world.room)/attachments?cursor=zz").errorCode == "invalid_cursor")
    }

    @Test func acceptsBrowserMultipartUploads() async throws {
        let world = try await World.make()
        let file = pseudoRandomBytes(300_000, seed: 4)
        let boundary = "----TackBoundary7MA4YWxkTrZu0gW"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Résumé.pdf\"\r\nContent-Type: application/pdf\r\n\r\n".utf8)
        body += file
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let reply = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments",
            headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: .bytes(ByteBuffer(bytes: body)))
        #expect(reply.status == 201, "\(reply.text)")
        #expect(reply.json["name"] as? String == "Résumé.pdf")
        #expect(reply.json["size"] as? Int == file.count)
        #expect(reply.json["sha256"] as? String == sha256(file).hex)

        var empty = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"empty.txt\"\r\n\r\n".utf8)
        empty += Array("\r\n--\(boundary)--\r\n".utf8)
        let emptyReply = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments",
            headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: .bytes(ByteBuffer(bytes: empty)))
        #expect(emptyReply.status == 201, "\(emptyReply.text)")
        #expect(emptyReply.json["size"] as? Int == 0)
        #expect(emptyReply.json["name"] as? String == "empty.txt")

        var noFile = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
        noFile += Array("--\(boundary)--\r\n".utf8)
        let missing = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments",
            headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: .bytes(ByteBuffer(bytes: noFile)))
        #expect(missing.status == 400)
        #expect(missing.errorCode == "invalid_multipart")
    }

    @Test func nameFromQueryWhenNoHeader() async throws {
        let world = try await World.make()
        let reply = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments?name=notes%20v2.txt", body: .bytes(ByteBuffer(string: "hi")))
        #expect(reply.status == 201)
        #expect(reply.json["name"] as? String == "notes v2.txt")
        let percent = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments?name=100%2525.txt", body: .bytes(ByteBuffer(string: "x")))
        #expect(percent.json["name"] as? String == "100%25.txt", "query values are decoded exactly once")
        #expect(reply.json["contentType"] as? String == "text/plain; charset=utf-8")
    }
}
