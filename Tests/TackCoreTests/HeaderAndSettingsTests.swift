import Foundation
import Testing
@testable import TackCore

@Suite struct ContentDigestTests {
    let hash = ContentHash(hex: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")!

    @Test func readsSHA256() throws {
        #expect(try ContentDigest.sha256(fromHeader: "sha-256=:\(hash.base64):") == hash)
        #expect(try ContentDigest.sha256(fromHeader: "sha-512=:AAAA:, sha-256=:\(hash.base64):") == hash)
        #expect(try ContentDigest.sha256(fromHeader: nil) == nil)
        #expect(ContentDigest.header(for: hash) == "sha-256=:uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=:")
    }

    @Test(arguments: ["sha-256=abc", "sha-256=:AAAA:", "sha-512=:AAAA:", "garbage ::", "sha-256=\"text\""])
    func refusesBrokenOrUnverifiable(header: String) {
        #expect(throws: TackError.self) { try ContentDigest.sha256(fromHeader: header) }
    }
}

@Suite struct IdentityTests {
    @Test func contentHashParsesAndPrints() {
        let hex = "B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9"
        #expect(ContentHash(hex: hex)?.hex == hex.lowercased())
        #expect(ContentHash(hex: String(hex.dropLast())) == nil)
        #expect(ContentHash(hex: String(hex.dropLast()) + "g") == nil)
    }

    @Test func identifiersAreUniqueAndValidated() {
        let ids = Set((0..<1000).map { _ in AttachmentID.make() })
        #expect(ids.count == 1000)
        for id in ids.prefix(20) { #expect(AttachmentID(validating: id.rawValue) == id) }
        #expect(AttachmentID(validating: "att_../../etc") == nil)
        #expect(AttachmentID(validating: RoomID.make().rawValue) == nil)
    }

    @Test func cursorsRoundTrip() {
        #expect(PageCursor(token: PageCursor(before: 42).token) == PageCursor(before: 42))
        #expect(PageCursor(token: "42") == nil)
        #expect(PageCursor(token: "c-1") == nil)
        #expect(PageCursor(token: "c0") == nil)
    }
}

@Suite struct SettingsTests {
    @Test func defaults() throws {
        let settings = try Settings.resolve(flags: [:], environment: [:], file: [:])
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.storage == "storage")
        #expect(settings.limits.maxUploadBytes == 100 * 1024 * 1024)
        #expect(settings.previewThreads == 2)
        #expect(try Settings.resolve(flags: [:], environment: ["TACK_PREVIEW_THREADS": "1"], file: [:]).previewThreads == 1)
    }

    @Test func flagsBeatEnvironmentBeatFile() throws {
        let file = ["port": "1", "max_upload_bytes": "1MiB", "storage": "/f"]
        let env = ["TACK_PORT": "2", "TACK_STORAGE": "/e"]
        let settings = try Settings.resolve(flags: ["port": "3"], environment: env, file: file)
        #expect(settings.port == 3)
        #expect(settings.storage == "/e")
        #expect(settings.limits.maxUploadBytes == 1 << 20)
    }

    @Test(arguments: [
        (["port": "70000"], [String: String](), [String: String]()),
        ([:], ["TACK_MAX_UPLOAD_BYTES": "lots"], [:]),
        ([:], [:], ["max_uplaod_bytes": "1"]),
        (["default_page_size": "500"], [:], [:]),
        ([:], ["TACK_OCR_LANGUAGES": "eng --tessdata-dir /tmp"], [:]),
        ([:], [:], ["ocr_languages": "eng++deu"]),
        ([:], [:], ["max_extract_bytes": "10"]),
        ([:], [:], ["preview_threads": "0"]),
        (["preview_threads": "17"], [:], [:]),
    ])
    func refusesBadValues(flags: [String: String], env: [String: String], file: [String: String]) {
        #expect(throws: TackError.self) { try Settings.resolve(flags: flags, environment: env, file: file) }
    }

    @Test func byteCounts() {
        #expect(ByteCount.parse("100MiB") == 100 << 20)
        #expect(ByteCount.parse("512k") == 512 << 10)
        #expect(ByteCount.parse("7") == 7)
        #expect(ByteCount.parse("1 GiB") == 1 << 30)
        #expect(ByteCount.parse("10MB") == 10 << 20)
        #expect(ByteCount.parse("1TB") == 1 << 40)
        #expect(ByteCount.parse("1XB") == nil)
        #expect(ByteCount.parse("MB") == nil)
        #expect(ByteCount.parse("99999999999999G") == nil)
    }

    @Test func pageSizes() throws {
        let limits = Limits()
        #expect(try limits.pageSize(requested: nil) == 50)
        #expect(try limits.pageSize(requested: "7") == 7)
        #expect(throws: TackError.self) { try limits.pageSize(requested: "0") }
        #expect(throws: TackError.self) { try limits.pageSize(requested: "201") }
        #expect(throws: Never.self) { try limits.checkMessage(String(repeating: "a", count: 64 * 1024)) }
        #expect(throws: TackError.self) { try limits.checkMessage(String(repeating: "é", count: 32 * 1024 + 1)) }
    }
}

@Suite struct AccessPolicyTests {
    let room = Room(id: .make(), name: "Project A", creator: "carol", members: ["carol", "fred", "tina"], createdAt: Date())

    func attachment(by uploader: String) -> Attachment {
        Attachment(id: .make(), room: room.id, name: "a", size: 1, contentType: "text/plain",
                   sha256: ContentHash(bytes: [UInt8](repeating: 1, count: 32))!, uploader: uploader, createdAt: Date())
    }

    @Test func rules() {
        #expect(AccessPolicy.canCreateRoom(User(name: "c", role: .client, createdAt: Date())))
        #expect(!AccessPolicy.canCreateRoom(User(name: "f", role: .freelancer, createdAt: Date())))
        #expect(AccessPolicy.canSee(room, as: "fred"))
        #expect(!AccessPolicy.canSee(room, as: "mallory"))
        #expect(AccessPolicy.canManageMembers(of: room, as: "carol"))
        #expect(!AccessPolicy.canManageMembers(of: room, as: "fred"))
        #expect(AccessPolicy.canDelete(attachment(by: "fred"), in: room, as: "fred"))
        #expect(AccessPolicy.canDelete(attachment(by: "fred"), in: room, as: "carol"))
        #expect(!AccessPolicy.canDelete(attachment(by: "fred"), in: room, as: "tina"))
        #expect(!AccessPolicy.canDelete(attachment(by: "mallory"), in: room, as: "mallory"))
    }
}

@Suite struct DownloadPlanTests {
    func attachment(type: String, size: Int64 = 20) -> Attachment {
        Attachment(id: .make(), room: .make(), name: "shot.png", size: size, contentType: type,
                   sha256: ContentHash(bytes: [UInt8](repeating: 7, count: 32))!, uploader: "u", createdAt: Date())
    }

    func header(_ plan: DownloadPlan, _ name: String) -> String? { plan.headers.first { $0.0 == name }?.1 }

    @Test func inlineOnlyForRasterImages() {
        let png = DownloadPlan(attachment: attachment(type: "image/png"), method: .get, range: nil, ifRange: nil, ifNoneMatch: nil)
        #expect(header(png, "Content-Disposition")?.hasPrefix("inline") == true)
        #expect(header(png, "X-Content-Type-Options") == "nosniff")
        #expect(header(png, "Content-Security-Policy")?.contains("sandbox") == true)
        for type in ["text/html", "image/svg+xml", "application/pdf", "text/plain; charset=utf-8"] {
            let plan = DownloadPlan(attachment: attachment(type: type), method: .get, range: nil, ifRange: nil, ifNoneMatch: nil)
            #expect(header(plan, "Content-Disposition")?.hasPrefix("attachment") == true, "\(type)")
        }
        let html = DownloadPlan(attachment: attachment(type: "text/html"), method: .get, range: nil, ifRange: nil, ifNoneMatch: nil)
        #expect(header(html, "Content-Type") == "application/octet-stream")
    }

    @Test func conditionalAndRanges() {
        let a = attachment(type: "image/png")
        let etag = "\"\(a.sha256.hex)\""
        #expect(DownloadPlan(attachment: a, method: .get, range: nil, ifRange: nil, ifNoneMatch: etag).status == 304)
        #expect(DownloadPlan(attachment: a, method: .get, range: nil, ifRange: nil, ifNoneMatch: "\"x\", W/\(etag)").status == 304)
        #expect(DownloadPlan(attachment: a, method: .get, range: nil, ifRange: nil, ifNoneMatch: "\"other\"").status == 200)
        let partial = DownloadPlan(attachment: a, method: .get, range: "bytes=-3", ifRange: etag, ifNoneMatch: nil)
        #expect(partial.status == 206)
        #expect(partial.bytes == 17...19)
        #expect(header(partial, "Content-Range") == "bytes 17-19/20")
        let stale = DownloadPlan(attachment: a, method: .get, range: "bytes=-3", ifRange: "\"old\"", ifNoneMatch: nil)
        #expect(stale.status == 200)
        #expect(stale.bytes == 0...19)
        let past = DownloadPlan(attachment: a, method: .get, range: "bytes=20-", ifRange: nil, ifNoneMatch: nil)
        #expect(past.status == 416)
        #expect(header(past, "Content-Range") == "bytes */20")
        #expect(DownloadPlan(attachment: a, method: .head, range: nil, ifRange: nil, ifNoneMatch: nil).bytes == nil)
        let empty = DownloadPlan(attachment: attachment(type: "application/octet-stream", size: 0), method: .get, range: nil, ifRange: nil, ifNoneMatch: nil)
        #expect(empty.status == 200)
        #expect(empty.bytes == nil)
        #expect(header(empty, "Content-Length") == "0")
    }
}
