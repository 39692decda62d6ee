import Foundation
import TackS3

/// The real S3 server the tests use (a single-node Ceph RGW that `scripts/test` starts on 127.0.0.1), each
/// caller in a prefix of its own in one bucket.
public enum TestS3 {
    public static let bucket = "tack-test"

    /// From `TACK_TEST_S3_ENDPOINT`, `TACK_TEST_S3_ACCESS_KEY_ID` and `TACK_TEST_S3_SECRET_ACCESS_KEY`; a missing
    /// server fails the test that needs it rather than skipping it.
    public static func configuration() throws -> (endpoint: String, credentials: S3Credentials) {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["TACK_TEST_S3_ENDPOINT"], let key = environment["TACK_TEST_S3_ACCESS_KEY_ID"],
              let secret = environment["TACK_TEST_S3_SECRET_ACCESS_KEY"]
        else {
            throw SupportError("no S3 server for the tests: run scripts/test (it starts Ceph RGW), or set "
                + "TACK_TEST_S3_ENDPOINT, TACK_TEST_S3_ACCESS_KEY_ID and TACK_TEST_S3_SECRET_ACCESS_KEY")
        }
        guard let host = URL(string: endpoint)?.host, host == "127.0.0.1" || host == "localhost" || host == "::1" else {
            throw SupportError("TACK_TEST_S3_ENDPOINT \(endpoint) is not on loopback; tests talk to loopback only")
        }
        return (endpoint, S3Credentials(accessKeyID: key, secretAccessKey: secret))
    }

    /// A client for a fresh prefix of the test bucket (created if needed).
    public static func client(prefix: String = "t-\(UUID().uuidString.lowercased())/") async throws -> S3Client {
        let (endpoint, credentials) = try configuration()
        let location = try S3Location.parse("s3://\(bucket)?endpoint=\(endpoint)&prefix=\(prefix)")
        let client = S3Client(location: location, credentials: credentials)
        try await client.createBucket()
        return client
    }
}
