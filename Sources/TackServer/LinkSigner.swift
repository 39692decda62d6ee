import Crypto
import Foundation
import Synchronization
import TackCore
import TackStorage

/// Signs and checks attachment links (`SignedLink`) with the catalog's link keys, held in memory.
///
/// The newest key signs. The keys held are dropped when the catalog says they changed (`tackd keys rotate` in another
/// process is seen at the next link), and read again at once for a link naming a key this process has not seen
/// (another instance's, before its change arrives); a catalog without keys gets its first here.
public final class LinkSigner: Sendable {
    private let catalog: any Catalog
    /// The keys (nil until read, and after a change), and how many changes there have been: keys read before a
    /// change are not kept after it.
    private let held = Mutex<(keys: [LinkKey]?, generation: Int)>((nil, 0))
    /// When a link naming an unknown key last made this process read the keys: at most once a second, so links
    /// with made-up key ids (anyone can send them) cannot turn into a catalog read each.
    private let lastForcedRead = Mutex<ContinuousClock.Instant?>(nil)

    init(catalog: any Catalog) {
        self.catalog = catalog
        catalog.changes.subscribe { [weak self] change in
            switch change {
            case .linkKeys, .everything: self?.held.withLock { $0 = (nil, $0.generation &+ 1) }
            default: break
            }
        }
    }

    /// The keys, newest first, read again after a change or when `force` says so.
    private func keys(force: Bool = false) async throws -> [LinkKey] {
        try await catalog.catchUp()
        let (keys, generation) = held.withLock { $0 }
        if !force, let keys { return keys }
        let loaded = try await catalog.linkKeys()
        held.withLock { if $0.generation == generation { $0.keys = loaded } }
        return loaded
    }

    /// The signed path of `link` with the newest key (its `keyID` is set here).
    func sign(_ link: SignedLink, thumbnail: Int? = nil) async throws -> String {
        var link = link
        let key = try await newestKey()
        link.keyID = key.id
        return link.path(signature: Self.signature(of: link, key: key), thumbnail: thumbnail)
    }

    /// Whether `signature` is the signature of `link` by the key it names.
    func verify(_ link: SignedLink, signature: String) async throws -> Bool {
        var key = try await keys().first { $0.id == link.keyID }
        if key == nil, Self.isKeyID(link.keyID), claimForcedRead() {
            key = try await keys(force: true).first { $0.id == link.keyID }
        }
        guard let key else { return false }
        // Compared as MACs, in constant time, rather than as strings.
        guard let given = Base64URL.decode(signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: link.message, using: SymmetricKey(data: key.secret))
    }

    private func claimForcedRead() -> Bool {
        lastForcedRead.withLock { last in
            if let last, ContinuousClock.now - last < .seconds(1) { return false }
            last = .now
            return true
        }
    }

    /// Whether `id` could be one `makeKey` made: `key_` and base-36 digits.
    static func isKeyID(_ id: String) -> Bool {
        id.hasPrefix("key_") && id.count > 4 && id.count <= 20
            && id.utf8.dropFirst(4).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
    }

    private func newestKey() async throws -> LinkKey {
        if let key = try await keys().first { return key }
        try await catalog.addLinkKey(Self.makeKey())
        guard let key = try await keys(force: true).first else { throw TackError(.internal, "the catalog kept no link key") }
        return key
    }

    /// A fresh random key.
    public static func makeKey(at now: Date = Date()) -> LinkKey {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let id = "key_" + String(UInt64.random(in: .min ... .max), radix: 36)
        return LinkKey(id: id, secret: secret, createdAt: now)
    }

    /// The keys a rotation at `now` may forget, given every key newest first (the new one included): those whose
    /// successor was made more than `maxLinkSeconds` ago, so every link they signed has expired.
    public static func expiredKeys(_ keys: [LinkKey], now: Date, maxLinkSeconds: Int64) -> [String] {
        zip(keys.dropFirst(), keys).compactMap { key, successor in
            successor.createdAt.addingTimeInterval(Double(maxLinkSeconds)) < now ? key.id : nil
        }
    }

    static func signature(of link: SignedLink, key: LinkKey) -> String {
        Base64URL.encode(HMAC<SHA256>.authenticationCode(for: link.message, using: SymmetricKey(data: key.secret)))
    }
}
