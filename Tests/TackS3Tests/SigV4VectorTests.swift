import Crypto
import Foundation
import TackCore
import Testing
@testable import TackS3

/// AWS's published Signature Version 4 vectors: the 2015 test suite, aws-c-auth's S3-style (unnormalised) cases
/// and the S3 developer guide's worked examples, copied verbatim into Fixtures/sigv4/vectors.json.
@Suite struct SigV4VectorTests {
    struct Vector: Decodable {
        let name: String
        let method: String
        let path: String
        let query: String
        let headers: [[String]]
        let body: String
        let accessKey: String
        let secretKey: String
        let region: String
        let service: String
        let date: String
        let payloadHash: String?
        let canonicalRequest: String
        let stringToSign: String
        let authorization: String?
        let signature: String?
        let normalizePath: Bool?
        let multiline: Bool?
    }

    static let vectors: [Vector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sigv4/vectors.json")
        return try! JSONDecoder().decode([Vector].self, from: Data(contentsOf: url))
    }()

    /// S3 signs the path as sent, never normalising dot segments or double slashes (those vectors have S3-style
    /// twins under aws-c-auth/), and HTTP/1.1 has no folded header lines any more.
    static var applicable: [Vector] {
        vectors.filter { $0.normalizePath != true || !($0.path.contains("/.") || $0.path.contains("//")) }
            .filter { $0.multiline != true }
    }

    static func request(_ vector: Vector) -> SignableRequest {
        let decodedPath = vector.path.removingPercentEncoding ?? vector.path
        let query: [(name: String, value: String)] = vector.query.isEmpty ? [] : vector.query
            .split(separator: "&", omittingEmptySubsequences: false)
            .map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
                return (name: name, value: value)
            }
        return SignableRequest(
            method: vector.method, encodedPath: URIEncoding.encode(decodedPath, keepingSlash: true), query: query,
            headers: vector.headers.map { (name: $0[0], value: $0[1]) },
            payloadHash: vector.payloadHash ?? SHA256.hash(data: Data(vector.body.utf8)).hexString)
    }

    @Test func coversTheSuite() {
        #expect(Self.applicable.count >= 38, "vectors dropped from the fixture?")
        #expect(Self.applicable.contains { $0.name == "s3-get-object" })
    }

    @Test(arguments: applicable.map(\.name))
    func matchesCanonicalRequestStringToSignAndSignature(_ name: String) throws {
        let vector = try #require(Self.vectors.first { $0.name == name })
        let signer = SigV4Signer(
            credentials: S3Credentials(accessKeyID: vector.accessKey, secretAccessKey: vector.secretKey),
            region: vector.region, service: vector.service)
        let request = Self.request(vector)
        #expect(signer.canonicalRequest(request) == vector.canonicalRequest)
        #expect(signer.stringToSign(request, amzDate: vector.date) == vector.stringToSign)
        if let expected = vector.signature {
            #expect(signer.signature(request, amzDate: vector.date) == expected)
        }
        if let expected = vector.authorization {
            // The S3 guide writes the parts with "," and the suites with ", "; both are the same header to AWS.
            let compact = { (text: String) in text.replacingOccurrences(of: ", ", with: ",") }
            #expect(compact(signer.authorization(request, amzDate: vector.date)) == compact(expected))
        }
    }

    @Test func anotherSecretGivesAnotherSignature() throws {
        let vector = try #require(Self.vectors.first { $0.name == "s3-put-object" })
        let request = Self.request(vector)
        let right = SigV4Signer(credentials: S3Credentials(accessKeyID: vector.accessKey, secretAccessKey: vector.secretKey),
                                region: vector.region, service: vector.service)
        let wrong = SigV4Signer(credentials: S3Credentials(accessKeyID: vector.accessKey, secretAccessKey: vector.secretKey + "x"),
                                region: vector.region, service: vector.service)
        #expect(right.signature(request, amzDate: vector.date) != wrong.signature(request, amzDate: vector.date))
        #expect(!"\(right.credentials)".contains(vector.secretKey), "credentials must never print their secret")
    }

    @Test func amzDateIsUTC() {
        #expect(SigV4Signer.amzDate(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
        #expect(SigV4Signer.amzDate(Date(timeIntervalSince1970: 0.999)) == "19700101T000000Z")
    }

    @Test func encodesLikeS3() {
        #expect(URIEncoding.encode("a b/c~d+e", keepingSlash: true) == "a%20b/c~d%2Be")
        #expect(URIEncoding.encode("a/b") == "a%2Fb")
        #expect(URIEncoding.encode("ሴ") == "%E1%88%B4")
    }
}
