import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TackTestSupport
import Testing
@testable import TackS3

/// The client against a real S3 server (Ceph RGW on 127.0.0.1, which checks every signature strictly).
@Suite(.timeLimit(.minutes(5))) struct S3ClientTests {
    @Test func storesReadsRangesCopiesAndDeletes() async throws {
        let s3 = try await TestS3.client()
        let bytes = pseudoRandomBytes(300_000, seed: 7)
        try await s3.putObject("a/one", body: ByteBuffer(bytes: bytes))
        #expect(try await s3.size(of: "a/one") == 300_000)
        #expect(try await s3.size(of: "a/none") == nil)
        #expect(try await read(s3, "a/one") == bytes)
        #expect(try await read(s3, "a/one", range: 1000...1999) == Array(bytes[1000...1999]))
        #expect(try await s3.copy("a/one", to: "b/two"))
        #expect(try await s3.copy("a/none", to: "b/three") == false)
        #expect(try await read(s3, "b/two") == bytes)
        try await s3.delete("a/one")
        try await s3.delete("a/one")
        #expect(try await s3.size(of: "a/one") == nil)
        await #expect { try await read(s3, "a/one") } throws: { ($0 as? S3Error)?.isNotFound == true }
    }

    @Test func keysWithAnyCharactersRoundTrip() async throws {
        let s3 = try await TestS3.client()
        let keys = ["sp ace", "plus+sign", "ünïcode/ሴ", "q?uery&x=y", "percent%20", "tilde~._-"]
        for key in keys { try await s3.putObject(key, body: ByteBuffer(string: key)) }
        #expect(Set(try await s3.objects(withPrefix: "").map(\.key)) == Set(keys))
        for key in keys { #expect(try await read(s3, key) == Array(key.utf8), "\(key)") }
    }

    @Test func listsPageByPageWithoutThePrefix() async throws {
        let s3 = try await TestS3.client()
        for index in 0..<5 { try await s3.putObject("l/\(index)", body: ByteBuffer(string: "\(index)")) }
        try await s3.putObject("other", body: ByteBuffer(string: "x"))
        let listed = try await s3.objects(withPrefix: "l/", pageSize: 2)
        #expect(listed.map(\.key) == ["l/0", "l/1", "l/2", "l/3", "l/4"])
        #expect(listed.allSatisfy { $0.size == 1 && abs($0.lastModified.timeIntervalSinceNow) < 600 })
    }

    @Test func multipartUploadsCompleteAbortAndList() async throws {
        let s3 = try await TestS3.client()
        let first = pseudoRandomBytes(5 << 20, seed: 1), second = pseudoRandomBytes(1234, seed: 2)
        let id = try await s3.createMultipartUpload("m/done")
        let etags = [
            try await s3.uploadPart("m/done", uploadID: id, number: 1, body: ByteBuffer(bytes: first)),
            try await s3.uploadPart("m/done", uploadID: id, number: 2, body: ByteBuffer(bytes: second)),
        ]
        #expect(try await s3.size(of: "m/done") == nil, "an upload is invisible until completed")
        #expect(try await s3.pendingUploads(withPrefix: "m/").map(\.uploadID) == [id])
        try await s3.completeMultipartUpload("m/done", uploadID: id, etags: etags)
        #expect(try await read(s3, "m/done") == first + second)

        var abandoned: [String] = []
        for _ in 0..<3 { abandoned.append(try await s3.createMultipartUpload("m/abandoned")) }
        #expect(Set(try await s3.pendingUploads(withPrefix: "m/", pageSize: 2).map(\.uploadID)) == Set(abandoned))
        for upload in abandoned { try await s3.abortMultipartUpload("m/abandoned", uploadID: upload) }
        try await s3.abortMultipartUpload("m/abandoned", uploadID: abandoned[0])
        #expect(try await s3.pendingUploads(withPrefix: "m/").isEmpty)
        #expect(try await s3.size(of: "m/abandoned") == nil)
    }

    @Test func copiesPartsServerSide() async throws {
        let s3 = try await TestS3.client()
        let bytes = pseudoRandomBytes((5 << 20) + 100, seed: 3)
        try await s3.putObject("c/source", body: ByteBuffer(bytes: bytes))
        let id = try await s3.createMultipartUpload("c/copy")
        let etags = [
            try await s3.uploadPartCopy("c/copy", uploadID: id, number: 1, source: "c/source", range: 0...(5 << 20) - 1),
            try await s3.uploadPartCopy("c/copy", uploadID: id, number: 2, source: "c/source",
                                        range: Int64(5 << 20)...Int64(bytes.count - 1)),
        ]
        try await s3.completeMultipartUpload("c/copy", uploadID: id, etags: etags)
        #expect(try await read(s3, "c/copy") == bytes)
    }

    @Test func aWrongSecretIsRefusedWithItsReason() async throws {
        let (endpoint, credentials) = try TestS3.configuration()
        let location = try S3Location.parse("s3://\(TestS3.bucket)?endpoint=\(endpoint)")
        let wrong = S3Client(location: location, credentials: S3Credentials(
            accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey + "x"))
        await #expect { try await wrong.checkAccess() } throws: { error in
            guard case .service(403, "SignatureDoesNotMatch", _, _) = error as? S3Error else { return false }
            return "\(error)".contains("check the secret access key") && !"\(error)".contains(credentials.secretAccessKey)
        }
        let unknown = S3Client(location: location, credentials: S3Credentials(accessKeyID: "nobody", secretAccessKey: "x"))
        await #expect { try await unknown.checkAccess() } throws: { error in
            guard case .service(403, "InvalidAccessKeyId", _, _) = error as? S3Error else { return false }
            return true
        }
    }

    @Test func aMissingBucketIsNamed() async throws {
        let (endpoint, credentials) = try TestS3.configuration()
        let location = try S3Location.parse("s3://no-such-bucket-\(UInt32.random(in: 0...UInt32.max))?endpoint=\(endpoint)")
        let client = S3Client(location: location, credentials: credentials)
        await #expect { try await client.checkAccess() } throws: { error in
            guard case .service(404, "NoSuchBucket", _, _) = error as? S3Error else { return false }
            return "\(error)".contains("create the bucket first")
        }
    }

    @Test func anUnreachableEndpointFailsWithinSeconds() async throws {
        let refusing = try RefusingPort()
        let location = try S3Location.parse("s3://bucket?endpoint=http://127.0.0.1:\(refusing.port)")
        let client = S3Client(location: location, credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"))
        await #expect { try await client.checkAccess() } throws: { error in
            guard case .unreachable = error as? S3Error else { return false }
            return "\(error)".contains("127.0.0.1:\(refusing.port)")
        }
    }

    /// RGW cannot be made busy on demand, so a small local server plays a store answering 503 `SlowDown` (what S3
    /// says under load) a given number of times; it checks no signature, only what the client does next.
    @Test func retriesABusyStoreAndThenGivesUp() async throws {
        let busyFor = Mutex(2), calls = Mutex(0)
        let router = Router()
        router.get("**") { _, _ -> Response in
            calls.withLock { $0 += 1 }
            let busy = busyFor.withLock { remaining in
                defer { remaining -= 1 }
                return remaining > 0
            }
            guard !busy else {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(
                    string: "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "hello")))
        }
        let server = try await LocalHTTPServer.start(router)
        let client = S3Client(location: try S3Location.parse("s3://bucket?endpoint=http://127.0.0.1:\(server.port)"),
                              credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"))
        #expect(try await read(client, "k") == Array("hello".utf8))
        #expect(calls.withLock { $0 } == 3, "two busy answers, then the third try")

        busyFor.withLock { $0 = 100 }
        calls.withLock { $0 = 0 }
        await #expect { try await read(client, "k") } throws: { error in
            guard case .service(503, "SlowDown", _, _) = error as? S3Error else { return false }
            return true
        }
        #expect(calls.withLock { $0 } == S3Client.attempts)
    }

    func read(_ s3: S3Client, _ key: String, range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
        var out: [UInt8] = []
        try await s3.read(key, range: range) { out += $0.readableBytesView }
        return out
    }
}
