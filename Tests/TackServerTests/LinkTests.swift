import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing
import TackCore

/// One local server playing Dropbox, Google Drive and a plain file host, with files that change on demand.
final class FakeProviders: Sendable {
    let server: LocalHTTPServer
    let version = VersionCounter()
    /// How many times the changing file was answered 304 to an If-None-Match naming its current ETag.
    let revalidations = Tally()
    static let report = pseudoRandomBytes(300_000, seed: 7)
    static let big = pseudoRandomBytes(200_000, seed: 8)

    var port: Int { server.port }

    /// Over https when `tls` is given: a certificate signed by that test CA.
    init(tls: TestCertificates? = nil) async throws {
        let router = Router()
        let version = self.version
        let revalidations = self.revalidations
        router.get("scl/fi/{id}/{name}") { request, _ in
            // Dropbox grants access through rlkey and sends bytes only for dl=1.
            let query = request.uri.queryParameters
            guard query["rlkey"] == "K1", query["dl"] == "1" else { return Response(status: .forbidden) }
            return Response(status: .ok, headers: [
                .contentDisposition: "attachment; filename*=UTF-8''Quarterly%20report.pdf", .eTag: "\"dbx1\"",
            ], body: .init(byteBuffer: ByteBuffer(bytes: FakeProviders.report)))
        }
        router.get("uc") { request, _ in
            let query = request.uri.queryParameters
            guard query["export"] == "download", query["id"] == "BIG" else { return Response(status: .notFound) }
            guard query["confirm"] == "t0k" else {
                let page = """
                    <html><body>Google Drive can't scan this file for viruses.
                    <a href="/uc?export=download&amp;confirm=t0k&amp;id=BIG">Download anyway</a></body></html>
                    """
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            return Response(status: .ok, headers: [.contentDisposition: "attachment; filename=\"dataset.bin\"",
                                                   .contentType: "application/octet-stream"],
                            body: .init(byteBuffer: ByteBuffer(bytes: FakeProviders.big)))
        }
        router.get("hop/{n}") { _, context in
            let n = try context.parameters.require("n", as: Int.self)
            return Response(status: .found, headers: [.location: n == 0 ? "/files/final%20cut.txt" : "/hop/\(n - 1)"])
        }
        router.get("files/{name}") { _, _ in "the final cut\n" }
        router.get("changing/notes.txt") { request, _ in
            let current = version.current
            let etag = "\"v\(current)\""
            if request.headers[.ifNoneMatch] == etag {
                revalidations.add()
                return Response(status: .notModified, headers: [.eTag: etag])
            }
            return Response(status: .ok, headers: [.eTag: etag, .contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: "notes, version \(current)\n")))
        }
        router.get("v1.0/shares/{share}/root/content") { _, context in
            // OneDrive's shares API answers with a redirect to the bytes; the share id must be the encoded link.
            let share = try context.parameters.require("share")
            guard share.hasPrefix("u!") else { return Response(status: .badRequest) }
            return Response(status: .found, headers: [.location: "/files/onedrive%20notes.txt"])
        }
        router.get("shared/static/{name}") { _, context in
            let name = try context.parameters.require("name")
            return Response(status: .ok, headers: [.contentDisposition: "attachment; filename=\"box-\(name).txt\""],
                            body: .init(byteBuffer: ByteBuffer(string: "from box\n")))
        }
        router.get("huge") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 7, count: 3 << 20))) }
        router.get("gone") { _, _ in Response(status: .gone) }
        server = try await LocalHTTPServer.start(router, tls: try tls?.serverConfiguration())
    }

    func bump() { version.bump() }

    /// tackd settings that send every provider here and let it fetch from this one loopback address.
    var tackdConfig: [String: String] {
        let origin = "http://127.0.0.1:\(port)"
        return ["link_allow": "127.0.0.1/32", "link_allow_http": "true", "link_resolve": "files.example=127.0.0.1",
"link_endpoint_dropbox": origin, "link_endpoint_google_drive": origin, "link_endpoint_onedrive": origin,
                "link_endpoint_box": origin, "link_max_bytes": "1MiB"]
    }
}

/// A count the fake upstream keeps.
final class Tally: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add() { value.withLock { $0 += 1 } }
}

/// Which version of the changing file the fake upstream serves.
final class VersionCounter: Sendable {
    private let value = Mutex(1)
    var current: Int { value.withLock { $0 } }
    func bump() { value.withLock { $0 += 1 } }
}

@Suite(.timeLimit(.minutes(5))) struct LinkTests {
    func add(_ api: API, _ room: String, _ url: String, message: String? = nil) async throws -> Reply {
        var body: [String: Any] = ["url": url]
        if let message { body["message"] = message }
        return try await api.json(.POST, "/v1/rooms/\(room)/links", body)
    }

    @Test func dropboxLinksBecomeAttachments() async throws {
        let providers = try await FakeProviders()
        let world = try await World.make(config: providers.tackdConfig)
        let reply = try await add(world.fred, world.room, "https://www.dropbox.com/scl/fi/abc/report.pdf?rlkey=K1&dl=0",
                                  message: "the report")
        #expect(reply.status == 201, "\(reply.text)")
        #expect(reply.json["kind"] as? String == "link")
        #expect(reply.json["name"] as? String == "Quarterly report.pdf")
        #expect(reply.json["sha256"] as? String == sha256(FakeProviders.report).hex)
        let source = try #require(reply.json["source"] as? [String: Any])
        #expect(source["provider"] as? String == "dropbox")
        #expect(source["url"] as? String == "https://www.dropbox.com/scl/fi/abc/report.pdf?rlkey=K1&dl=0")
        #expect(source["etag"] as? String == "\"dbx1\"")
        let id = try #require(reply.json["id"] as? String)
        let (status, _, digest, _) = try await world.carol.downloadDigest("/v1/attachments/\(id)/content")
        #expect(status == 200 && digest == sha256(FakeProviders.report))
        let messages = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/messages")
        let first = (messages.json["items"] as? [[String: Any]])?.first
        #expect(first?["text"] as? String == "the report")
        // The same bytes pasted again: a second attachment of its own, on the one stored copy.
        let again = try await add(world.carol, world.room, "https://www.dropbox.com/scl/fi/abc/report.pdf?rlkey=K1&dl=0")
        #expect(again.status == 201, "\(again.text)")
        let againID = try #require(again.json["id"] as? String)
        #expect(againID != id && again.json["sha256"] as? String == sha256(FakeProviders.report).hex)
        let (againStatus, _, againDigest, _) = try await world.carol.downloadDigest("/v1/attachments/\(againID)/content")
        #expect(againStatus == 200 && againDigest == sha256(FakeProviders.report))
        #expect(world.tackd.storedBlobCount() == 1)
    }

    @Test func driveConfirmPagesAndRedirectChains() async throws {
        let providers = try await FakeProviders()
        let world = try await World.make(config: providers.tackdConfig)
        let drive = try await add(world.carol, world.room, "https://drive.google.com/file/d/BIG/view?usp=sharing")
        #expect(drive.status == 201, "\(drive.text)")
        #expect(drive.json["name"] as? String == "dataset.bin")
        #expect(drive.json["sha256"] as? String == sha256(FakeProviders.big).hex)
        let oneDrive = try await add(world.carol, world.room, "https://1drv.ms/t/s!AkLm2pTwx")
        #expect(oneDrive.status == 201, "\(oneDrive.text)")
        #expect(oneDrive.json["name"] as? String == "onedrive notes.txt")
        #expect((oneDrive.json["source"] as? [String: Any])?["provider"] as? String == "onedrive")
        let box = try await add(world.carol, world.room, "https://app.box.com/s/q8p7o6n5")
        #expect(box.status == 201, "\(box.text)")
        #expect(box.json["name"] as? String == "box-q8p7o6n5.txt")
        let chain = try await add(world.carol, world.room, "http://files.example:\(providers.port)/hop/4")
        #expect(chain.status == 201, "\(chain.text)")
        #expect(chain.json["name"] as? String == "final cut.txt")
        #expect((chain.json["source"] as? [String: Any])?["provider"] as? String == "https")
    }

    /// https links to a host whose certificate an operator's own CA signed (`link_ca_file`): fetched, and refreshed
    /// with If-None-Match (the upstream's 304 means unchanged). Refused when the certificate names another host or
    /// tackd is not told to trust the CA; `link_allow_hosts` lets one name through, not its address.
    @Test func httpsLinksTrustTheOperatorsCAAndCheckTheName() async throws {
        let certificates = try TestCertificates(names: ["files.example"])
        let providers = try await FakeProviders(tls: certificates)
        let common = ["link_resolve": "files.example=127.0.0.1,other.example=127.0.0.1", "link_max_bytes": "1MiB"]
        func settings(_ extra: [String: String]) -> [String: String] { common.merging(extra) { $1 } }
        let world = try await World.make(config: settings(["link_allow": "127.0.0.1/32", "link_ca_file": certificates.authority]))
        let url = "https://files.example:\(providers.port)/changing/notes.txt"
        let first = try await add(world.carol, world.room, url)
        #expect(first.status == 201, "\(first.text)")
        let id = try #require(first.json["id"] as? String)
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(id)/content").text == "notes, version 1\n")
        let same = try await world.fred.request(.POST, "/v1/attachments/\(id)/refresh")
        #expect(same.status == 200 && same.json["changed"] as? Bool == false, "\(same.text)")
        #expect(providers.revalidations.count == 1, "the refresh asked with If-None-Match and got 304")

        // The same server under a name its certificate does not carry.
        let misnamed = try await add(world.carol, world.room, "https://other.example:\(providers.port)/files/a.txt")
        #expect(misnamed.errorCode == "upstream_unreachable", "\(misnamed.text)")
        let listed = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [Any]
        #expect(listed?.count == 1)

        // A tackd not told to trust the CA.
        let untrusting = try await World.make(config: settings(["link_allow": "127.0.0.1/32"]))
        #expect(try await add(untrusting.carol, untrusting.room, url).errorCode == "upstream_unreachable")

        // Trust by name: files.example is fetched from loopback; other.example, on the same address, is not.
        let byName = try await World.make(config: settings(["link_allow_hosts": "files.example", "link_ca_file": certificates.authority]))
        #expect(try await add(byName.carol, byName.room, url).status == 201)
        let other = try await add(byName.carol, byName.room, "https://other.example:\(providers.port)/files/a.txt")
        #expect(other.errorCode == "refused_loopback", "\(other.text)")
    }

    @Test func refreshRecordsNewVersionsAndKeepsOldOnes() async throws {
        let providers = try await FakeProviders()
        let world = try await World.make(config: providers.tackdConfig)
        let first = try await add(world.carol, world.room, "http://files.example:\(providers.port)/changing/notes.txt")
        let firstID = try #require(first.json["id"] as? String)
        let same = try await world.fred.request(.POST, "/v1/attachments/\(firstID)/refresh")
        #expect(same.status == 200)
        #expect(same.json["changed"] as? Bool == false)
        providers.bump()
        let changed = try await world.fred.request(.POST, "/v1/attachments/\(firstID)/refresh")
        #expect(changed.status == 201, "\(changed.text)")
        #expect(changed.json["changed"] as? Bool == true)
        let version = try #require(changed.json["attachment"] as? [String: Any])
        #expect(version["versionOf"] as? String == firstID)
        let newID = try #require(version["id"] as? String)
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(newID)/content").text == "notes, version 2\n")
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(firstID)/content").text == "notes, version 1\n")
        let again = try await world.fred.request(.POST, "/v1/attachments/\(firstID)/refresh")
        #expect(again.json["changed"] as? Bool == false, "refreshing the old id compares against the newest version")
        let upload = try #require(try await world.carol.upload([1, 2], room: world.room).json["id"] as? String)
        #expect(try await world.carol.request(.POST, "/v1/attachments/\(upload)/refresh").errorCode == "not_a_link")
    }

    @Test func failuresStoreNothing() async throws {
        let providers = try await FakeProviders()
        let world = try await World.make(config: providers.tackdConfig)
        let base = "http://files.example:\(providers.port)"
        let huge = try await add(world.carol, world.room, "\(base)/huge")
        #expect(huge.status == 413)
        #expect(huge.errorCode == "too_large")
        let gone = try await add(world.carol, world.room, "\(base)/gone")
        #expect(gone.status == 502)
        #expect(gone.errorCode == "upstream_gone")
        let folder = try await add(world.carol, world.room, "https://www.dropbox.com/scl/fo/abc/def?rlkey=K1&dl=0")
        #expect(folder.errorCode == "folder_link")
        let noKey = try await add(world.carol, world.room, "https://www.dropbox.com/scl/fi/abc/report.pdf?dl=0")
        #expect(noKey.errorCode == "upstream_forbidden")
        #expect(world.tackd.storedBlobCount() == 0)
        let list = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments")
        #expect((list.json["items"] as? [Any])?.isEmpty == true)
    }

    @Test func nothingPrivateIsFetchedWhenNothingIsAllowed() async throws {
        let listener = try RawListener()
        let world = try await World.make()
        let port = listener.port
        for host in ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "localhost"] {
            let reply = try await add(world.carol, world.room, "https://\(host):\(port)/secret.txt")
            #expect(reply.status == 400, "\(host): \(reply.text)")
            // 0.0.0.0 reaches this machine on Linux, and is refused as what it is; every other spelling is loopback.
            #expect(reply.errorCode == (host == "0.0.0.0" ? "refused_unspecified" : "refused_loopback"), "\(host): \(reply.text)")
        }
        #expect(listener.connections == 0, "a refused link must not even connect")
        #expect(try await add(world.carol, world.room, "http://example.com/a.txt").errorCode == "unsupported_scheme")
    }

    @Test func outsidersCannotAddOrReadLinks() async throws {
        let providers = try await FakeProviders()
        let world = try await World.make(config: providers.tackdConfig)
        let denied = try await add(world.mallory, world.room, "http://files.example:\(providers.port)/files/x.txt")
        #expect(denied.status == 404)
        let added = try await add(world.carol, world.room, "http://files.example:\(providers.port)/files/x.txt")
        let id = try #require(added.json["id"] as? String)
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)").status == 404)
        #expect(try await world.mallory.request(.POST, "/v1/attachments/\(id)/refresh").status == 404)
    }
}
