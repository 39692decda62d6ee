import Foundation
import HummingbirdTLS

/// A certificate authority made for one test by openssl, and a server certificate it signed for some host names:
/// https servers on loopback that a client trusts only when told to trust this CA.
public struct TestCertificates: Sendable {
    public let folder: String
    /// The CA's certificate, PEM: what a client is told to trust (`link_ca_file`).
    public var authority: String { "\(folder)/ca.pem" }
    public var certificate: String { "\(folder)/server.pem" }
    public var key: String { "\(folder)/server.key" }

    public init(names: [String]) throws {
        folder = NSTemporaryDirectory() + "tack-ca-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + curve + ["-keyout", "\(folder)/ca.key", "-out", authority, "-days", "2",
                          "-subj", "/CN=Tack test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try Self.openssl(["req"] + curve + ["-keyout", key, "-out", "\(folder)/server.csr", "-subj", "/CN=\(names[0])"])
        let extensions = "\(folder)/server.ext"
        try Data("""
            subjectAltName=\(names.map { "DNS:\($0)" }.joined(separator: ","))
            extendedKeyUsage=serverAuth
            basicConstraints=CA:FALSE

            """.utf8).write(to: URL(fileURLWithPath: extensions))
        try Self.openssl(["x509", "-req", "-in", "\(folder)/server.csr", "-CA", authority, "-CAkey", "\(folder)/ca.key",
                          "-CAcreateserial", "-out", certificate, "-days", "2", "-extfile", extensions])
    }

    /// The server side: the signed certificate and its key.
    public func serverConfiguration() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
    }

    private static func openssl(_ arguments: [String]) throws {
        let (status, output) = try runProgram("/usr/bin/openssl", arguments)
        guard status == 0 else { throw SupportError("openssl \(arguments.first ?? "") failed: \(output)") }
    }
}
