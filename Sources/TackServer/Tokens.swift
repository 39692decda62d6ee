import Crypto
import Foundation
import TackCore

/// API tokens: 256 random bits shown once, stored only as their SHA-256.
///
/// A plain hash is enough (no slow KDF) because the token is random and long, not a password a person chose.
public enum Tokens {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "tack_" + Base64URL.encode(bytes)
    }

    /// The token's SHA-256 in hex, as the catalog stores it. Every authenticated request computes it, so it is
    /// hex-encoded by table rather than `String(format:)` per byte, which cost more than the rest of a cached read.
    public static func digest(_ token: String) -> String {
        ContentHash(bytes: SHA256.hash(data: Array(token.utf8)))!.hex
    }
}
