import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML element of an S3 response, reduced to what S3 uses: names, text and children, namespaces dropped.
struct S3XMLElement: Sendable, Equatable {
    let name: String
    let text: String
    let children: [S3XMLElement]

    /// Parses an S3 response body; nil when it is not XML.
    static func parse(_ data: Data) -> S3XMLElement? {
        guard !data.isEmpty, let document = try? XMLDocument(data: data, options: []),
              let root = document.rootElement()
        else { return nil }
        return S3XMLElement(root)
    }

    private init(_ element: XMLElement) {
        name = element.localName ?? element.name ?? ""
        let elements = (element.children ?? []).compactMap { $0 as? XMLElement }
        children = elements.map(S3XMLElement.init)
        text = elements.isEmpty ? (element.stringValue ?? "") : ""
    }

    func all(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }
    func first(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }
    func text(_ name: String) -> String? { first(name)?.text }
}

/// One object of a bucket listing.
public struct S3Object: Sendable, Equatable {
    public let key: String
    public let size: Int64
    public let lastModified: Date
}

/// One multipart upload begun and neither completed nor aborted.
public struct S3PendingUpload: Sendable, Equatable {
    public let key: String
    public let uploadID: String
    public let initiated: Date
}

/// The readings of S3's XML answers that the client needs.
enum S3Responses {
    struct Listing: Equatable {
        var objects: [S3Object]
        var nextToken: String?
    }

    struct UploadListing: Equatable {
        var uploads: [S3PendingUpload]
        var nextKeyMarker: String?
        var nextUploadIDMarker: String?
    }

    static func error(_ root: S3XMLElement) -> (code: String, message: String)? {
        guard root.name == "Error" else { return nil }
        return (root.text("Code") ?? "", root.text("Message") ?? "")
    }

    /// ListObjectsV2; `prefix` is removed from each key so callers see their own names.
    static func listing(_ root: S3XMLElement, removing prefix: String) throws(S3Error) -> Listing {
        guard root.name == "ListBucketResult" else { throw S3Error.unexpectedResponse("ListBucketResult", got: root.name) }
        var objects: [S3Object] = []
        for entry in root.all("Contents") {
            guard let key = entry.text("Key"), key.hasPrefix(prefix), let size = entry.text("Size").flatMap({ Int64($0) }),
                  let modified = entry.text("LastModified").flatMap(date)
            else { throw S3Error.unexpectedResponse("Contents with Key, Size and LastModified", got: "\(entry)") }
            objects.append(S3Object(key: String(key.dropFirst(prefix.count)), size: size, lastModified: modified))
        }
        let truncated = root.text("IsTruncated") == "true"
        return Listing(objects: objects, nextToken: truncated ? root.text("NextContinuationToken") : nil)
    }

    static func uploadListing(_ root: S3XMLElement, removing prefix: String) throws(S3Error) -> UploadListing {
        guard root.name == "ListMultipartUploadsResult" else {
            throw S3Error.unexpectedResponse("ListMultipartUploadsResult", got: root.name)
        }
        var uploads: [S3PendingUpload] = []
        for entry in root.all("Upload") {
            guard let key = entry.text("Key"), key.hasPrefix(prefix), let id = entry.text("UploadId"),
                  let initiated = entry.text("Initiated").flatMap(date)
            else { throw S3Error.unexpectedResponse("Upload with Key, UploadId and Initiated", got: "\(entry)") }
            uploads.append(S3PendingUpload(key: String(key.dropFirst(prefix.count)), uploadID: id, initiated: initiated))
        }
        let truncated = root.text("IsTruncated") == "true"
        return UploadListing(
            uploads: uploads, nextKeyMarker: truncated ? root.text("NextKeyMarker") : nil,
            nextUploadIDMarker: truncated ? root.text("NextUploadIdMarker") : nil)
    }

    static func uploadID(_ root: S3XMLElement) throws(S3Error) -> String {
        guard root.name == "InitiateMultipartUploadResult", let id = root.text("UploadId"), !id.isEmpty else {
            throw S3Error.unexpectedResponse("InitiateMultipartUploadResult with an UploadId", got: root.name)
        }
        return id
    }

    /// CopyObject and UploadPartCopy answer with the new ETag.
    static func copyETag(_ root: S3XMLElement) throws(S3Error) -> String {
        guard ["CopyObjectResult", "CopyPartResult"].contains(root.name), let etag = root.text("ETag") else {
            throw S3Error.unexpectedResponse("CopyObjectResult with an ETag", got: root.name)
        }
        return etag
    }

    static func completeMultipartBody(_ etags: [String]) -> String {
        var body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (index, etag) in etags.enumerated() {
            body += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(escape(etag))</ETag></Part>"
        }
        return body + "</CompleteMultipartUpload>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// S3 writes instants as ISO 8601 with or without milliseconds.
    static func date(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
