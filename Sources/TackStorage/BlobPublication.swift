import Foundation
import TackCore

/// The one crash-safe way staged bytes become a blob the catalog names: pin, publish, record, and on any failure
/// release the pin and discard the staging. Uploads, linked files and thumbnails all go through it.
///
/// The order is what makes garbage collection safe alongside: the bytes are durable before the catalog names them,
/// and the pin keeps a concurrent collector from deleting a blob that a deduplicated write is about to reference.
/// A process that dies between publishing and recording leaves a published, pinned, unreferenced blob, which gc
/// takes once the pin lapses.
public struct BlobPublication: Sendable {
    public let blobs: any BlobStore
    public let catalog: any Catalog
    /// How long a pin lasts if the writer dies between publishing and recording.
    public var pinLifetime: Duration = .seconds(3600)

    public init(blobs: any BlobStore, catalog: any Catalog) {
        self.blobs = blobs
        self.catalog = catalog
    }

    /// Publishes `staged` and runs `record` with the pin, which `record` must release in its catalog transaction.
    /// The staged bytes are consumed whatever happens.
    public func publish<Recorded: Sendable>(
        _ staged: StagedBlob, record: (_ pin: String) async throws -> Recorded
    ) async throws -> Recorded {
        do {
            let pin = try await catalog.pin(staged.hash, until: Date().addingTimeInterval(pinLifetime.seconds))
            do {
                _ = try await blobs.publish(staged)
                Failpoint.hit("after-publish")
                return try await record(pin)
            } catch {
                try? await catalog.releasePin(pin)
                throw error
            }
        } catch {
            await blobs.discard(staged)
            throw error
        }
    }
}
