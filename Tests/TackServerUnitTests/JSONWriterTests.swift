import Foundation
import Testing
import TackCore
import TackTestSupport
@testable import TackServer

/// `JSONWriter` writes the API's answers byte for byte as JSONEncoder writes the same values' `Encodable` forms
/// (which the compiler synthesizes, so they are an independent reference): keys in order, fields left out or null
/// as Codable would, and every string, hostile ones included, escaped the same way.
@Suite struct JSONWriterTests {
    /// Every ASCII character (controls, quotes, backslash, slash, DEL), line and paragraph separators, emoji with
    /// modifiers, combining marks, right-to-left text, a non-character and a byte-order mark.
    static let hostile: [String] = [
        "", "plain.png", String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) }),
        "a\"b\\c/d", "line\u{2028}para\u{2029}end", "👩🏽‍💻 résumé e\u{301}", "שלום.pdf", "\u{FFFF}\u{FEFF}x",
        "\u{0}\u{1F}\u{7F}\u{80}\u{9F}", "</script><script>alert(1)</script>", String(repeating: "ÿ", count: 300),
    ]

    @Test func attachmentsAsJSONEncoderWritesThem() throws {
        var random = SplitMix64(seed: 20261130)
        var checked = 0
        for (index, name) in (Self.hostile + (0..<200).map { _ in random.string() }).enumerated() {
            for variant in 0..<4 {
                let attachment = Self.attachment(name: name, index: index, variant: variant, random: &random)
                var json = AttachmentJSON(attachment, reading: TextReading(ocr: variant != 2))
                if variant == 3 { json.receivedSha256 = attachment.sha256.hex }
                if variant == 1 {
                    json.snippet = .init(TextSnippet(text: "…" + name + "…", highlights: [.init(start: 1, length: name.utf16.count), .init(start: 0, length: 0)]))
                }
                try expectSameBytes(json)
                checked += 1
            }
        }
        #expect(checked == (Self.hostile.count + 200) * 4)
    }

    @Test func roomsMessagesAndPagesAsJSONEncoderWritesThem() throws {
        var random = SplitMix64(seed: 7)
        let dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_764_460_800.123),
                     Date(timeIntervalSince1970: -86_400.5), Date(timeIntervalSince1970: 253_402_300_799)]
        var rooms: [RoomJSON] = []
        for (index, name) in Self.hostile.enumerated() {
            let members = (0..<(index % 4)).map { _ in random.string() }
            rooms.append(RoomJSON(Room(id: RoomID(rawValue: "room_\(index)"), name: name, creator: random.string(),
                                       members: members, createdAt: dates[index % dates.count])))
        }
        for room in rooms { try expectSameBytes(room) }
        try expectSameBytes(PageJSON(items: rooms, next: nil))
        try expectSameBytes(PageJSON(items: [RoomJSON](), next: "c42"))

        var messages: [MessageJSON] = []
        for (index, text) in Self.hostile.enumerated() {
            let attachments = (0..<(index % 3)).map {
                Self.attachment(name: random.string(), index: $0, variant: index % 4, random: &random)
            }
            messages.append(MessageJSON(Message(id: MessageID(rawValue: "msg_\(index)"), room: RoomID(rawValue: "room_1"),
                                                author: random.string(), text: text, attachments: attachments,
                                                createdAt: dates[index % dates.count]), reading: TextReading()))
        }
        for message in messages { try expectSameBytes(message) }
        try expectSameBytes(PageJSON(items: messages, next: "c\u{0}\"/"))
        let attachments = (0..<50).map { Self.attachment(name: random.string(), index: $0, variant: $0 % 3, random: &random) }
        try expectSameBytes(PageJSON(items: attachments.map { AttachmentJSON($0, reading: TextReading()) }, next: nil))
    }

    private func expectSameBytes<Value: JSONWritable & Encodable>(
        _ value: Value, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let expected = try JSONBody.encoder().encode(value)
        let written = JSONWriter.bytes(of: value)
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                sourceLocation: sourceLocation)
        #expect(written == [UInt8](expected), sourceLocation: sourceLocation)
    }

    /// Variant 0: an uploaded image not yet thumbnailed; 1: a linked PNG whose thumbnail failed, with an ETag and
    /// a version; 2: a file that is not an image; 3: a screenshot with its facts, metadata stripped.
    static func attachment(name: String, index: Int, variant: Int, random: inout SplitMix64) -> TackCore.Attachment {
        let hash = ContentHash(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })!
        var attachment = TackCore.Attachment(
            id: AttachmentID(rawValue: "att_\(index)_\(variant)"), room: RoomID(rawValue: "room_\(variant)"), name: name,
            size: [0, 1, Int64.max, 123_456_789][variant], contentType: ["image/jpeg", "image/png", "text/plain", "image/png"][variant],
            sha256: hash, uploader: random.string(), createdAt: Date(timeIntervalSince1970: Double(index) * 1000.001))
        switch variant {
        case 1:
            attachment.source = LinkSource(provider: "dropbox", url: "https://example.org/\(name)?a=1&b=\"2\"",
                                           fetchedAt: Date(timeIntervalSince1970: 1_700_000_000.5), etag: "W/\"\(index)\"",
                                           lastModified: nil)
            attachment.versionOf = AttachmentID(rawValue: "att_root")
            attachment.image = ImageInfo(width: nil, height: nil, failure: "bad \"\(name)\"")
        case 3:
            attachment.image = ImageInfo(width: 1920, height: 1080, failure: nil)
            attachment.metadataStripped = true
            attachment.isScreenshot = true
        default:
            break
        }
        return attachment
    }
}

extension SplitMix64 {
    /// Up to 40 characters drawn from ASCII controls and punctuation, Latin, Greek, CJK, emoji and separators.
    mutating func string() -> String {
        let pool: [ClosedRange<UInt32>] = [0x00...0x7F, 0xA0...0x17F, 0x391...0x3C9, 0x4E00...0x4E80, 0x1F600...0x1F64F,
                                           0x2028...0x2029]
        let count = Int.random(in: 0...40, using: &self)
        return String(String.UnicodeScalarView((0..<count).compactMap { _ in
            Unicode.Scalar(UInt32.random(in: pool.randomElement(using: &self)!, using: &self))
        }))
    }
}
