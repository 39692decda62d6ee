import Foundation
import Testing
import TackCore
import TackStorage
@testable import TackServer

@Suite struct LinkSignerTests {
    func key(_ id: String, madeAt seconds: Double) -> LinkKey {
        LinkKey(id: id, secret: [UInt8](repeating: 1, count: 32), createdAt: Date(timeIntervalSince1970: seconds))
    }

    /// A key goes once its successor has been signing for longer than a link may live: every link it signed has
    /// expired. The newest never goes, however old.
    @Test func keysGoOnceEveryLinkTheySignedHasExpired() {
        let keys = [key("d", madeAt: 10_000), key("c", madeAt: 5_000), key("b", madeAt: 4_000), key("a", madeAt: 1_000)]
        #expect(LinkSigner.expiredKeys(keys, now: Date(timeIntervalSince1970: 10_001), maxLinkSeconds: 1_000) == ["b", "a"])
        #expect(LinkSigner.expiredKeys(keys, now: Date(timeIntervalSince1970: 10_001), maxLinkSeconds: 6_000) == ["a"])
        #expect(LinkSigner.expiredKeys(keys, now: Date(timeIntervalSince1970: 10_001), maxLinkSeconds: 9_000).isEmpty)
        #expect(LinkSigner.expiredKeys([key("a", madeAt: 0)], now: Date(timeIntervalSince1970: 1e9), maxLinkSeconds: 1).isEmpty)
    }

    /// Only ids `makeKey` could have made send a process back to the catalog for keys it has not seen.
    @Test func keyIDsAreTheMadeShape() {
        #expect(LinkSigner.isKeyID(LinkSigner.makeKey().id))
        for id in ["key_", "key_ABC", "key_a-b", "tok_abc", "key_" + String(repeating: "a", count: 17), "../key_1"] {
            #expect(!LinkSigner.isKeyID(id), "\(id)")
        }
    }

    /// Signatures are base64url without padding, and only the key's own signature of the very link verifies.
    @Test func signaturesAreOfTheLinkWithItsKey() throws {
        let link = SignedLink(attachment: AttachmentID.make(), expires: 1_800_000_000, disposition: .attachment,
                              creator: "carol", keyID: "a")
        let signature = LinkSigner.signature(of: link, key: key("a", madeAt: 0))
        #expect(!signature.contains("=") && !signature.contains("+") && !signature.contains("/"))
        #expect(Base64URL.decode(signature)?.count == 32)
        var other = LinkKey(id: "a", secret: [UInt8](repeating: 2, count: 32), createdAt: Date())
        #expect(LinkSigner.signature(of: link, key: other) != signature)
        other.secret = [UInt8](repeating: 1, count: 32)
        #expect(LinkSigner.signature(of: link, key: other) == signature)
    }
}
