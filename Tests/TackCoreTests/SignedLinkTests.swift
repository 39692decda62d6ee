import Testing
@testable import TackCore

@Suite struct SignedLinkParsingTests {
    let link = SignedLink(attachment: AttachmentID(rawValue: "att_" + String(repeating: "a", count: 26)),
                          expires: 1_800_000_000, disposition: .inline, creator: "Bob Jones/ü", keyID: "key_1")

    /// What `path` writes, `parse` reads back, a name with spaces, a slash and a non-ASCII letter included.
    @Test func aPathParsesBackToItsLink() throws {
        let path = link.path(signature: "c2ln", thumbnail: 320)
        #expect(path.hasPrefix("/f/\(link.attachment.rawValue)?e=1800000000&d=i&u=Bob%20Jones%2F%C3%BC&k=key_1&s=c2ln"))
        #expect(path.hasSuffix("&thumbnail=320"))
        let query = Dictionary(uniqueKeysWithValues: try #require(path.split(separator: "?").last).split(separator: "&").map {
            let parts = $0.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), String(parts[1]).removingPercentEncoding!)
        })
        let parsed = try #require(SignedLink.parse(attachment: link.attachment.rawValue, query: query))
        #expect(parsed.link == link)
        #expect(parsed.signature == "c2ln")
    }

    /// Each field changes the signed message; no two fields can run into each other.
    @Test func everyFieldIsSigned() {
        var others: [SignedLink] = []
        var changed = link; changed.expires += 1; others.append(changed)
        changed = link; changed.disposition = .attachment; others.append(changed)
        changed = link; changed.creator = "Bob"; others.append(changed)
        changed = link; changed.keyID = "key_2"; others.append(changed)
        changed = link; changed.attachment = AttachmentID(rawValue: "att_" + String(repeating: "b", count: 26)); others.append(changed)
        for other in others { #expect(other.message != link.message) }
        let a = SignedLink(attachment: link.attachment, expires: 1, disposition: .inline, creator: "ab", keyID: "c")
        let b = SignedLink(attachment: link.attachment, expires: 1, disposition: .inline, creator: "a", keyID: "bc")
        #expect(a.message != b.message)
    }

    @Test(arguments: [
        ["d": "i", "u": "bob", "k": "key_1", "s": "x"],                       // no expiry
        ["e": "soon", "d": "i", "u": "bob", "k": "key_1", "s": "x"],          // not a number
        ["e": "1", "d": "inline", "u": "bob", "k": "key_1", "s": "x"],        // d is i or a
        ["e": "1", "d": "a", "u": "", "k": "key_1", "s": "x"],                // no maker
        ["e": "1", "d": "a", "u": "bob\nx", "k": "key_1", "s": "x"],          // a newline would blur the fields
        ["e": "1", "d": "a", "u": "bob", "s": "x"],                           // no key
        ["e": "1", "d": "a", "u": "bob", "k": "key_1"],                       // no signature
    ])
    func incompleteLinksDoNotParse(query: [String: String]) {
        #expect(SignedLink.parse(attachment: link.attachment.rawValue, query: query) == nil)
    }

    @Test func notAnAttachmentIDDoesNotParse() {
        #expect(SignedLink.parse(attachment: "../etc", query: ["e": "1", "d": "a", "u": "bob", "k": "k", "s": "x"]) == nil)
    }
}
