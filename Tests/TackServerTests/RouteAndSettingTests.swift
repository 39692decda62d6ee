import Foundation
import Testing

/// Routes and settings no other test walked (issue #16): members and non-creators, names tackd picks or shortens,
/// and settings from a config file actually changing what tackd does.
@Suite(.timeLimit(.minutes(5))) struct RouteAndSettingTests {
    @Test func membersReadTheRoomAndOnlyItsCreatorAddsPeople() async throws {
        let world = try await World.make()
        let room = try await world.fred.request(.GET, "/v1/rooms/\(world.room)")
        #expect(room.status == 200)
        #expect(room.json["name"] as? String == "Room for Project A")
        #expect(room.json["members"] as? [String] == ["carol", "fred"])
        let byMember = try await world.fred.json(.POST, "/v1/rooms/\(world.room)/members", ["user": "mallory"])
        #expect(byMember.status == 403)
        #expect(byMember.errorCode == "not_room_creator")
        let unknown = try await world.carol.json(.POST, "/v1/rooms/\(world.room)/members", ["user": "nobody"])
        #expect(unknown.status == 400)
        #expect(unknown.errorCode == "unknown_user")
        #expect(try await world.carol.request(.GET, "/v1/rooms/\(world.room)").json["members"] as? [String] == ["carol", "fred"],
                "neither refusal changed the room")
    }

    @Test func namesAreChosenFromTheContentAndShortenedKeepingTheExtension() async throws {
        let world = try await World.make()
        let room = "/v1/rooms/\(world.room)/attachments"
        // A 40x30 red PNG.
        let tinyPNG = Array(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAIAAADRv8uKAAAAK0lEQVR4nO3NMQ0AAAgDsMmZfxXIQgYcTfo3056IWCwWi8VisVgsFov/xguJMCDM2TzTeAAAAABJRU5ErkJggg==")!)
        let png = try await world.carol.request(.POST, room, body: .bytes(.init(bytes: tinyPNG)))
        #expect(png.status == 201)
        #expect(png.json["name"] as? String == "attachment.png", "no name given: one from the sniffed type")
        let jpeg = try await world.carol.request(.POST, room, body: .bytes(.init(bytes: try RealPhotos.bytes(RealPhotos.baseline))))
        #expect(jpeg.json["name"] as? String == "attachment.jpg")

        let long = String(repeating: "quarterly-report-", count: 20) + "final.pdf"
        let named = try await world.carol.upload(Array("%PDF-1.4\n".utf8), room: world.room, name: long)
        #expect(named.status == 201)
        let stored = try #require(named.json["name"] as? String)
        #expect(stored.utf8.count <= 255 && stored.hasSuffix(".pdf") && stored.hasPrefix("quarterly-report-"), "\(stored)")
        #expect(long.utf8.count > 255)
    }

    @Test func thumbnailSizesAreTheOperators() async throws {
        let world = try await World.make(config: ["thumbnail_sizes": "100,50"])
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let id = try #require(try await world.carol.upload(photo, room: world.room, name: "dune.jpg").json["id"] as? String)
        let refused = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(refused.errorCode == "invalid_size" && refused.text.contains("100, 50"), "\(refused.text)")
        for size in [100, 50] {
            let thumbnail = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=\(size)")
            #expect(thumbnail.status == 200 && thumbnail.body.starts(with: [0xFF, 0xD8]), "\(size)")
            // The photo is 1680x1050: scaled to fit, its width is the size asked for (SOF0's width field).
            #expect(Self.jpegWidth(thumbnail.body) == size, "\(size)")
        }
    }

    @Test func aSilentConnectionIsClosedAfterTheIdleTimeout() async throws {
        let world = try await World.make(config: ["idle_timeout_seconds": "1"])
        let silent = try RawConnection(port: world.tackd.port)
        // Nothing is sent: tackd closes it after a second, well before the socket's own 10 s read timeout.
        #expect(silent.readsToEnd(), "the connection stayed open")
        let working = try RawConnection(port: world.tackd.port)
        working.send(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect(working.readHead().hasPrefix("HTTP/1.1 200"))
    }

    /// The width in a baseline or progressive JPEG's frame header.
    static func jpegWidth(_ bytes: [UInt8]) -> Int? {
        var index = 2
        while index + 8 < bytes.count, bytes[index] == 0xFF {
            let marker = bytes[index + 1]
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            if marker == 0xC0 || marker == 0xC2 { return Int(bytes[index + 7]) << 8 | Int(bytes[index + 8]) }
            index += 2 + length
        }
        return nil
    }

    @Test func aConfigFileChangesLimits() async throws {
        let tackd = try Tackd()
        let token = try await tackd.addUser("carol", role: "client")
        let config = tackd.storage + "/elsewhere.json"
        try JSONSerialization.data(withJSONObject: [
            "max_page_size": "2", "default_page_size": "2", "max_json_bytes": "1KiB", "max_image_pixels": "1000",
        ]).write(to: URL(fileURLWithPath: config))
        // TACK_CONFIG names a file outside the storage folder; the settings in it hold from the first request.
        try await tackd.start([], environment: ["TACK_CONFIG": config])
        let carol = API(base: tackd.base, token: token)
        let room = try #require(try await carol.json(.POST, "/v1/rooms", ["name": "r"]).json["id"] as? String)

        #expect(try await carol.request(.GET, "/v1/rooms/\(room)/attachments?limit=3").errorCode == "invalid_limit")
        #expect(try await carol.request(.GET, "/v1/rooms/\(room)/attachments?limit=2").status == 200)
        let big = try await carol.json(.POST, "/v1/rooms/\(room)/messages", ["text": String(repeating: "x", count: 2000)])
        #expect(big.status == 413, "a JSON body over max_json_bytes")
        #expect(try await carol.json(.POST, "/v1/rooms/\(room)/messages", ["text": "short"]).status == 201)

        // A 1680x1050 photo is far over 1,000 pixels: stored, but not decoded for a thumbnail.
        let photo = try await carol.upload(try RealPhotos.bytes(RealPhotos.baseline), room: room, name: "dune.jpg")
        let id = try #require(photo.json["id"] as? String)
        let thumbnail = try await carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(thumbnail.errorCode == "thumbnail_failed", "\(thumbnail.text)")
        #expect(thumbnail.text.contains("1000 pixels"))
        #expect(try await carol.request(.GET, "/v1/attachments/\(id)/content").status == 200, "the file itself is served")

        let (status, text) = try runProgram(Tackd.binary, [
            "serve", "--storage", tackd.storage, "--port", "0", "--config", tackd.storage + "/nope.json",
        ])
        #expect(status != 0 && text.contains("nope.json") && text.contains("does not exist"), "\(text)")
    }
}
