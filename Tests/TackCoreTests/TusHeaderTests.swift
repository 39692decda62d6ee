import Foundation
import Testing
@testable import TackCore

/// The tus headers' grammar, read as tuspy, tus-js-client and Uppy write it, and refused when it is anything else.
@Suite struct TusHeaderTests {
    @Test func metadataIsKeyAndBase64Pairs() throws {
        // tus-js-client's shape: `filename` with a non-ASCII name, an empty value, and a key without a value.
        let header = "filename \(Data("Été 2026.png".utf8).base64EncodedString()),filetype aW1hZ2UvcG5n,empty ,flag"
        let metadata = try TusMetadata.parse(header + ",blob \(Data([0xFF, 0xFE]).base64EncodedString())")
        #expect(try metadata.text("filename") == "Été 2026.png")
        #expect(try metadata.text("filetype") == "image/png")
        #expect(try metadata.text("empty") == "")
        #expect(try metadata.text("flag") == "")
        #expect(try metadata.text("missing") == nil)
        // Binary values are the protocol's to allow; only a key read as text must be text.
        #expect(metadata.values["blob"] == [0xFF, 0xFE])
        #expect(throws: TackError.self) { try metadata.text("blob") }
        #expect(try TusMetadata.parse(nil) == TusMetadata())
        #expect(try TusMetadata.parse("") == TusMetadata())
    }

    @Test(arguments: ["filename !!!", "a aGk=,a aGk=", "a aGk= b", "a !!!", "a aGk=,,b aGk="])
    func badMetadataIsRefused(_ header: String) {
        #expect(throws: TackError.self) { try TusMetadata.parse(header) }
    }

    @Test func checksumsNameAnAlgorithmAndADigest() throws {
        let sha1 = try #require(try TusChecksum.parse("sha1 \(Data(repeating: 1, count: 20).base64EncodedString())"))
        #expect(sha1.algorithm == .sha1 && sha1.digest == [UInt8](repeating: 1, count: 20))
        let sha256 = try #require(try TusChecksum.parse("SHA256 \(Data(repeating: 2, count: 32).base64EncodedString())"))
        #expect(sha256.algorithm == .sha256)
        #expect(try TusChecksum.parse(nil) == nil)
        #expect(TusChecksum.advertised == "sha1,sha256")
        do {
            _ = try TusChecksum.parse("md5 \(Data(repeating: 1, count: 16).base64EncodedString())")
            Issue.record("md5 was accepted")
        } catch {
            #expect(error.has(.unsupportedChecksum))
        }
        // A digest of the wrong length for its algorithm, or not base64, or no digest at all.
        for header in ["sha1 \(Data(repeating: 1, count: 32).base64EncodedString())", "sha1 !!!", "sha1", "sha1 a b"] {
            #expect(throws: TackError.self, "\(header)") { try TusChecksum.parse(header) }
        }
    }

    @Test func byteCountsAreDigitsOnly() throws {
        #expect(try Tus.byteCount("0", name: "Upload-Offset") == 0)
        #expect(try Tus.byteCount("67108864", name: "Upload-Length") == 64 << 20)
        #expect(try Tus.byteCount(nil, name: "Upload-Length") == nil)
        for header in ["-1", "+5", " 5", "5 ", "", "0x10", "99999999999999999999", "1e3"] {
            #expect(throws: TackError.self, "\(header)") { try Tus.byteCount(header, name: "Upload-Length") }
        }
    }

    @Test func onlyVersionOneIsSpoken() throws {
        try Tus.checkResumable("1.0.0")
        for header in [nil, "0.2.2", "1.0", ""] as [String?] {
            do {
                try Tus.checkResumable(header)
                Issue.record("\(header ?? "nil") was accepted")
            } catch {
                #expect(error.category == .preconditionFailed)
            }
        }
    }

    @Test func datesAreIMFFixdate() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 1_798_761_599.9)) == "Thu, 31 Dec 2026 23:59:59 GMT")
    }
}
