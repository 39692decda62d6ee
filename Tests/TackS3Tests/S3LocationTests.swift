import Testing
@testable import TackS3

@Suite struct S3LocationTests {
    @Test func parsesAnEndpointWithPathStyle() throws {
        let location = try S3Location.parse("s3://tack-blobs?endpoint=http://127.0.0.1:7480&region=eu-1&prefix=prod/")
        #expect(location == S3Location(scheme: "http", host: "127.0.0.1", port: 7480, bucket: "tack-blobs",
                                       region: "eu-1", style: .path, prefix: "prod/"))
        #expect(location.requestHost == "127.0.0.1:7480")
        #expect(location.encodedPath(key: "sha256/ab cd") == "/tack-blobs/prod/sha256/ab%20cd")
        #expect(location.encodedPath(key: nil) == "/tack-blobs")
    }

    @Test func defaultsToAWSWithVirtualHosts() throws {
        let location = try S3Location.parse("s3://my.bucket?region=eu-west-1&style=virtual-host")
        #expect(location.requestHost == "my.bucket.s3.eu-west-1.amazonaws.com")
        #expect(location.encodedPath(key: "k") == "/k")
        #expect(location.encodedPath(key: nil) == "/")
        #expect(location.scheme == "https" && location.port == 443)
    }

    @Test func bracketsIPv6AndKeepsOddPorts() throws {
        let location = try S3Location.parse("s3://bkt?endpoint=https://[::1]:9000")
        #expect(location.requestHost == "[::1]:9000")
    }

    @Test(arguments: [
        ("s3://", "is not s3://"), ("http://bucket", "is not s3://"), ("s3://Bucket", "not a bucket name"),
        ("s3://ab", "not a bucket name"), ("s3://bucket/dir", "?prefix="), ("s3://bucket?color=red", "unknown option color"),
        ("s3://bucket?style=sideways", "style must be"), ("s3://bucket?endpoint=ftp://host", "is not http(s)"),
        ("s3://bucket?endpoint=http://host/path", "is not http(s)"),
    ])
    func refusesWhatItCannotUse(_ text: String, _ reason: String) {
        #expect {
            _ = try S3Location.parse(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
