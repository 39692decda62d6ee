import Foundation
import TackCore
import TackS3

/// Where an operator keeps blobs (`--blobs`): a folder of this machine, or a bucket that several instances share.
public enum BlobStoreLocation: Sendable, Equatable {
    case file(path: String)
    case s3(S3Location)

    /// Reads `file:PATH` or `s3://BUCKET?...`; nil means the embedded default, `<storage>/blobs`.
    public static func parse(_ text: String?, storage: String) throws(TackError) -> BlobStoreLocation {
        guard let text else { return .file(path: "\(storage)/blobs") }
        if text.hasPrefix("file:") {
            let path = String(text.dropFirst("file:".count))
            guard !path.isEmpty else { throw .invalid(.invalidSetting, "blobs: file: needs a folder, as in file:/srv/tack/blobs") }
            return .file(path: path)
        }
        do {
            return .s3(try S3Location.parse(text))
        } catch {
            throw .invalid(.invalidSetting, "blobs: \(error.description)")
        }
    }

    /// How a person recognises the store in a message (no secrets).
    public var displayName: String {
        switch self {
        case .file(let path): "the blob folder \(path)"
        case .s3(let location): location.displayName
        }
    }

    /// Opens the store and, for a bucket, proves within seconds that it exists and the keys work, so a wrong
    /// secret or a missing bucket stops start-up with the reason instead of failing the first upload.
    public func open(settings: Settings) async throws -> any BlobStore {
        switch self {
        case .file(let path):
            return try await FileBlobStore(root: path)
        case .s3(let location):
            guard let key = settings.s3AccessKeyID, let secret = settings.s3SecretAccessKey else {
                throw TackError.invalid(.invalidSetting, "blobs in \(location.displayName) need keys: set TACK_S3_ACCESS_KEY_ID "
                    + "and TACK_S3_SECRET_ACCESS_KEY, or s3_access_key_id and s3_secret_access_key in the config file")
            }
            let client = S3Client(location: location, credentials: S3Credentials(accessKeyID: key, secretAccessKey: secret.value))
            try await client.checkAccess(within: .seconds(10))
            // Image decoders read a local copy; it lives beside the catalog, readable by tackd alone.
            let scratch = "\(settings.storage)/scratch"
            try FileManager.default.createDirectory(
                atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return S3BlobStore(client, scratchFolder: scratch)
        }
    }
}
