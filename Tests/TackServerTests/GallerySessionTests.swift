import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The gallery's sign-in, its cookie, and the Origin rule that keeps other sites from acting with it.
@Suite(.timeLimit(.minutes(5))) struct GallerySessionTests {
    private func signIn(_ world: World, token: String, headers: [(String, String)] = []) async throws -> (Reply, String) {
        let reply = try await API(base: world.tackd.base, token: nil).request(
            .POST, "/session", headers: [("Content-Type", "application/json")] + headers,
            body: .bytes(.init(string: #"{"token": "\#(token)"}"#)))
        let cookie = reply.headers["Set-Cookie"].first ?? ""
        return (reply, String(cookie.prefix { $0 != ";" }))
    }

    /// A request whose redirect is the answer, not followed as `API` follows it.
    private func unredirected(_ world: World, _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [],
                              body: String? = nil) async throws -> (status: Int, location: String?) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: .init(redirectConfiguration: .disallow))
        var request = HTTPClientRequest(url: world.tackd.base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let answer: (status: Int, location: String?)
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            answer = (Int(response.status.code), response.headers["Location"].first)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return answer
    }

    @Test func theCookieSignsInAndChangesNeedTheSameOrigin() async throws {
        let world = try await World.make()
        let (reply, cookie) = try await signIn(world, token: world.fred.token!)
        #expect(reply.status == 200)
        #expect(reply.json["name"] as? String == "fred")
        let setCookie = try #require(reply.headers["Set-Cookie"].first)
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && !setCookie.contains("Secure"))
        let (_, behindTLS) = try await signIn(world, token: world.fred.token!, headers: [("X-Forwarded-Proto", "https")])
        #expect(!behindTLS.isEmpty)
        #expect(try await signIn(world, token: world.fred.token!, headers: [("X-Forwarded-Proto", "https")]).0
            .headers["Set-Cookie"].first?.contains("Secure") == true)

        let browser = API(base: world.tackd.base, token: nil)
        let origin = world.tackd.base
        #expect(try await browser.request(.GET, "/v1/rooms", headers: [("Cookie", cookie)]).status == 200)
        let post = { (headers: [(String, String)]) in
            try await browser.request(.POST, "/v1/rooms/\(world.room)/messages",
                                      headers: [("Cookie", cookie), ("Content-Type", "application/json")] + headers,
                                      body: .bytes(.init(string: #"{"text": "hi"}"#)))
        }
        let bare = try await post([])
        #expect(bare.status == 403)
        #expect(bare.errorCode == "csrf")
        #expect(try await post([("Origin", "https://evil.example")]).errorCode == "csrf")
        #expect(try await post([("Origin", "null")]).errorCode == "csrf")
        #expect(try await post([("Origin", origin)]).status == 201)
        // A bearer token needs no Origin: scripts and the helper are not browsers.
        #expect(try await world.fred.json(.POST, "/v1/rooms/\(world.room)/messages", ["text": "hi"]).status == 201)

        #expect(try await browser.request(.DELETE, "/session", headers: [("Cookie", cookie)]).errorCode == "csrf")
        let out = try await browser.request(.DELETE, "/session", headers: [("Cookie", cookie), ("Origin", origin)])
        #expect(out.status == 204)
        #expect(out.headers["Set-Cookie"].first?.contains("Max-Age=0") == true)

        #expect(try await signIn(world, token: "nope").0.status == 401)
        #expect(try await signIn(world, token: world.fred.token!, headers: [("Origin", "https://evil.example")]).0.errorCode == "csrf")
        // A revoked token signs the browser out at once: the cookie is the token.
        let tokenID = try #require(try await world.tackd.admin(["token", "list", "fred"]).split(whereSeparator: \.isWhitespace)
            .first { $0.hasPrefix("tok_") })
        _ = try await world.tackd.admin(["token", "revoke", String(tokenID)])
        #expect(try await browser.request(.GET, "/v1/rooms", headers: [("Cookie", cookie)]).status == 401)
    }

    @Test func pagesAreForMembersAndLoadNothingFromElsewhere() async throws {
        let world = try await World.make()
        let browser = API(base: world.tackd.base, token: nil)
        let home = try await browser.request(.GET, "/")
        #expect(home.status == 200)
        #expect(home.text.contains("<form method=\"post\" action=\"/session\">"))
        let policy = try #require(home.headers["Content-Security-Policy"].first)
        #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'") && !policy.contains("unsafe-inline"))
        #expect(!home.text.contains("<script>") && !home.text.contains(" style=") && !home.text.contains("http://"),
                "no inline script or style, nothing from another origin")

        let away = try await unredirected(world, .GET, "/rooms/\(world.room)?q=from%3Afred")
        #expect(away.status == 303)
        let next = "/rooms/\(world.room)?q=from%3Afred".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(away.location == "/?next=" + next)

        let (_, fred) = try await signIn(world, token: world.fred.token!)
        let page = try await browser.request(.GET, "/rooms/\(world.room)", headers: [("Cookie", fred)])
        #expect(page.status == 200)
        #expect(page.text.contains("data-room=\"\(world.room)\""))
        let (_, mallory) = try await signIn(world, token: world.mallory.token!)
        #expect(try await browser.request(.GET, "/rooms/\(world.room)", headers: [("Cookie", mallory)]).status == 404)
        #expect(try await browser.request(.GET, "/rooms/room_nope", headers: [("Cookie", fred)]).status == 404)
        // The link tack prints after an upload: the room's page with the file open, for members only.
        let id = try #require(try await world.carol.upload([1, 2], room: world.room, name: "x.bin").json["id"] as? String)
        let link = try await unredirected(world, .GET, "/attachments/\(id)", headers: [("Cookie", fred)])
        #expect(link.status == 303 && link.location == "/rooms/\(world.room)?open=\(id)")
        #expect(try await unredirected(world, .GET, "/attachments/\(id)", headers: [("Cookie", mallory)]).status == 404)
        #expect(try await unredirected(world, .GET, "/attachments/\(id)").location?.hasPrefix("/?next=%2Fattachments%2F") == true)

        // The form: a 303 to where the browser was going, never to another site.
        for (next, expected) in [("/rooms/\(world.room)", "/rooms/\(world.room)"), ("//evil.example/x", "/"),
                                 ("https://evil.example", "/"), ("/\\evil.example", "/"), ("/\t/evil.example", "/"),
                                 ("/\n/evil.example", "/"), ("/rooms/x\\y", "/")] {
            let form = "token=\(world.fred.token!)&next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            let reply = try await unredirected(world, .POST, "/session", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                               body: form)
            #expect(reply.status == 303)
            #expect(reply.location == expected, "\(next)")
        }
        let wrong = try await browser.request(.POST, "/session", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                              body: .bytes(.init(string: "token=nope&next=%2F")))
        #expect(wrong.status == 401)
        #expect(wrong.text.contains("role=\"alert\""))

        for asset in ["/static/gallery.js", "/static/gallery.css"] {
            let first = try await browser.request(.GET, asset)
            #expect(first.status == 200)
            let etag = try #require(first.headers["ETag"].first)
            #expect(try await browser.request(.GET, asset, headers: [("If-None-Match", etag)]).status == 304)
        }
    }
}
