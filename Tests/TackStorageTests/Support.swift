import Crypto
import Foundation
@_exported import TackTestSupport
import NIOCore
import TackCore
import TackS3
@testable import TackStorage

/// A fresh folder under the system temp dir, removed when the test is done with it.
final class TemporaryFolder: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tack-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}


/// Splits bytes into ByteBuffer chunks the way a network body arrives.
func chunks(_ bytes: [UInt8], size: Int = 7919) -> AsyncStream<ByteBuffer> {
    AsyncStream { continuation in
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + size, bytes.count)
            continuation.yield(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
        continuation.finish()
    }
}

func sha256(_ bytes: [UInt8]) -> ContentHash { ContentHash(bytes: SHA256.hash(data: bytes))! }

func readAll(_ store: any BlobStore, _ hash: ContentHash, range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
    var out: [UInt8] = []
    try await store.read(hash, range: range) { out += $0.readableBytesView }
    return out
}

/// The implementations every contract runs against; PostgreSQL and S3 join these lists.
enum Implementations {
    static func blobStores(in folder: TemporaryFolder) async throws -> [(String, any BlobStore)] {
        [("file", try await FileBlobStore(root: folder.path + "/blobs")),
         // S3's smallest parts, so S3BlobStoreTests reach multipart staging and part-by-part copies with 11 MiB.
         ("s3", S3BlobStore(try await TestS3.client(), partSize: 5 << 20, copyLimit: 5 << 20, scratchFolder: folder.path))]
    }

    static func catalogs(in folder: TemporaryFolder) async throws -> [(String, any CatalogInspection)] {
        [("sqlite", try await SQLiteCatalog.open(path: folder.path + "/catalog.sqlite")),
         // The caches must not change a single answer: the whole contract runs through them too.
         ("sqlite+cache", CachingCatalog(try await SQLiteCatalog.open(path: folder.path + "/cached.sqlite"), entries: 64)),
         ("postgres", try await TestPostgres.catalog()),
         ("postgres+cache", CachingCatalog(try await TestPostgres.catalog(), entries: 64))]
    }
}

/// Swift Testing has an `Attachment` of its own; in these tests the word means ours.
typealias Attachment = TackCore.Attachment

/// What the contracts read beyond the service's `Catalog`: pins, reference counts, users by name. Each catalog
/// answers them for inspection; the service never asks, so they are not `Catalog` requirements.
protocol CatalogInspection: Catalog {
    func isPinned(_ hash: ContentHash, at now: Date) async throws -> Bool
    func references(to hash: ContentHash) async throws -> Int
    func user(named name: String) async throws -> User?
}

extension SQLiteCatalog: CatalogInspection {}
extension PostgresCatalog: CatalogInspection {}

extension TestPostgres {
    /// A PostgreSQL catalog on a fresh database of the test server.
    static func catalog() async throws -> PostgresCatalog {
        try await open(PostgresLocation.parse(freshDatabase()))
    }

    /// A PostgreSQL catalog at `location`, given the time a test run's full load can take to connect and migrate.
    static func open(_ location: PostgresLocation) async throws -> PostgresCatalog {
        // Generous: the whole suite shares two cores, and a loaded run has taken over a minute to get an answer.
        try await PostgresCatalog.open(location, timeout: .seconds(150))
    }
}

extension CachingCatalog: CatalogInspection {
    private var inspected: any CatalogInspection { base as! any CatalogInspection }
    func isPinned(_ hash: ContentHash, at now: Date) async throws -> Bool { try await inspected.isPinned(hash, at: now) }
    func references(to hash: ContentHash) async throws -> Int { try await inspected.references(to: hash) }
    func user(named name: String) async throws -> User? { try await inspected.user(named: name) }
}
