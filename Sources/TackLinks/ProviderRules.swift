import Foundation
import TackCore

/// Where a link's bytes come from.
public enum Provider: String, Sendable, Codable, CaseIterable {
    case dropbox
    case googleDrive = "google_drive"
    case oneDrive = "onedrive"
    case box
    case https
}

/// The origins tackd fetches from for each provider. Settings, so tests (and odd deployments) can point them
/// at a server of their own.
public struct ProviderEndpoints: Sendable, Equatable {
    public var dropbox = "https://www.dropbox.com"
    public var dropboxContent = "https://dl.dropboxusercontent.com"
    public var googleDrive = "https://drive.google.com"
    public var googleDocs = "https://docs.google.com"
    public var oneDriveAPI = "https://api.onedrive.com"
    public var box = "https://app.box.com"

    public init() {}
}

/// What to fetch for a pasted link.
public struct LinkPlan: Sendable, Equatable {
    public var provider: Provider
    /// The first URL to request; redirects and confirm pages may lead elsewhere.
    public var download: URL
    /// A name from the link itself, used when the response does not name the file.
    public var suggestedName: String?
}

/// Turns a share link into a direct download: pure rules, table-tested against real link shapes.
public struct ProviderRules: Sendable {
    public var endpoints: ProviderEndpoints
    /// Plain `http` links are refused unless an operator allows them.
    public var allowHTTP: Bool

    public init(endpoints: ProviderEndpoints = ProviderEndpoints(), allowHTTP: Bool = false) {
        self.endpoints = endpoints
        self.allowHTTP = allowHTTP
    }

    public func plan(for link: String) throws(TackError) -> LinkPlan {
        guard link.utf8.count <= 8192, let components = URLComponents(string: link.trimmingCharacters(in: .whitespaces)),
              let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased(), !host.isEmpty
        else {
            throw .invalid(.invalidURL, "the link is not an absolute URL")
        }
        guard scheme == "https" || (scheme == "http" && allowHTTP) else {
            throw .invalid(.unsupportedScheme, "only https links can be fetched (got \(scheme))")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalid(.credentialsInURL, "links with a user name or password in them are refused; share a link instead")
        }
        let path = components.percentEncodedPath
        // Split before decoding, so an encoded slash stays inside its segment instead of inventing a new one.
        let segments = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        switch host {
        case "www.dropbox.com", "dropbox.com":
            return try dropbox(components, segments: segments, path: path)
        case "dl.dropboxusercontent.com", "dl.dropbox.com":
            return LinkPlan(provider: .dropbox,
                            download: try url(endpoints.dropboxContent, path: path, query: components.percentEncodedQueryItems),
                            suggestedName: segments.last)
        case "drive.google.com", "docs.google.com":
            return try google(components, segments: segments)
        case "1drv.ms", "onedrive.live.com":
            return try oneDrive(link: link)
        case "app.box.com":
            return try box(segments)
        default:
            guard let download = components.url else { throw .invalid(.invalidURL, "the link is not a valid URL") }
            return LinkPlan(provider: .https, download: download,
                            suggestedName: segments.last.flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    private func dropbox(_ c: URLComponents, segments: [String], path: String) throws(TackError) -> LinkPlan {
        if segments.first == "sh" || (segments.first == "scl" && segments.dropFirst().first == "fo") {
            throw .invalid(.folderLink, "this Dropbox link is a folder; share a link to one file")
        }
        let isFile = (segments.first == "s" && segments.count >= 3)
            || (segments.count >= 4 && segments[0] == "scl" && segments[1] == "fi")
        guard isFile else {
            throw .invalid(.unsupportedLink, "this Dropbox link is not a link to a shared file")
        }
        // Merge, never replace: `rlkey` is what grants access.
        var items = (c.percentEncodedQueryItems ?? []).filter { $0.name != "dl" && $0.name != "raw" }
        items.append(URLQueryItem(name: "dl", value: "1"))
        return LinkPlan(provider: .dropbox, download: try url(endpoints.dropbox, path: path, query: items),
                        suggestedName: segments.last)
    }

    private func google(_ c: URLComponents, segments: [String]) throws(TackError) -> LinkPlan {
        let query = c.queryItems ?? []
        // Docs, Sheets and Slides export to the Office format a member can open anywhere.
        let exports = ["document": "docx", "spreadsheets": "xlsx", "presentation": "pptx"]
        if let kind = segments.first, let format = exports[kind], segments.count >= 3, segments[1] == "d" {
            let id = segments[2]
            return LinkPlan(provider: .googleDrive,
                            download: try url(endpoints.googleDocs, path: "/\(kind)/d/\(try Self.driveID(id))/export",
                                              query: [URLQueryItem(name: "format", value: format)]),
                            suggestedName: nil)
        }
        var id: String?
        if let d = segments.firstIndex(of: "d"), segments.indices.contains(d + 1), segments.first == "file" {
            id = segments[d + 1]
        } else if segments.last == "open" || segments.last == "uc" {
            id = query.first { $0.name == "id" }?.value
        }
        if segments.first == "drive" && segments.contains("folders") {
            throw .invalid(.folderLink, "this Google Drive link is a folder; share a link to one file")
        }
        guard let id else {
            throw .invalid(.unsupportedLink, "this Google Drive link does not name a file")
        }
        return LinkPlan(provider: .googleDrive,
                        download: try url(endpoints.googleDrive, path: "/uc",
                                          query: [URLQueryItem(name: "export", value: "download"),
                                                  URLQueryItem(name: "id", value: try Self.driveID(id))]),
                        suggestedName: nil)
    }

    static func driveID(_ id: String) throws(TackError) -> String {
        guard !id.isEmpty, id.count <= 200,
              id.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
        else { throw .invalid(.unsupportedLink, "the Google Drive file id is malformed") }
        return id
    }

    /// OneDrive's shares API takes the sharing link itself, base64url-encoded behind `u!`.
    private func oneDrive(link: String) throws(TackError) -> LinkPlan {
        let encoded = "u!" + Base64URL.encode(link.utf8)
        return LinkPlan(provider: .oneDrive,
                        download: try url(endpoints.oneDriveAPI, path: "/v1.0/shares/\(encoded)/root/content", query: nil),
                        suggestedName: nil)
    }

    private func box(_ segments: [String]) throws(TackError) -> LinkPlan {
        guard segments.count == 2, segments[0] == "s", !segments[1].isEmpty,
              segments[1].unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.alphanumerics.contains($0) })
        else {
            throw .invalid(.unsupportedLink, "this Box link is not a shared-file link (app.box.com/s/NAME)")
        }
        return LinkPlan(provider: .box, download: try url(endpoints.box, path: "/shared/static/\(segments[1])", query: nil),
                        suggestedName: nil)
    }

    private func url(_ base: String, path: String, query: [URLQueryItem]?) throws(TackError) -> URL {
        guard var components = URLComponents(string: base) else {
            throw TackError(.badEndpoint, "provider endpoint '\(base)' is not a URL")
        }
        components.percentEncodedPath = (components.percentEncodedPath.hasSuffix("/")
            ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath) + path
        // Every item is already percent-encoded: copied from the pasted link, or a validated id or constant.
        components.percentEncodedQueryItems = query
        guard let url = components.url else {
            throw TackError(.badEndpoint, "could not build a URL on '\(base)'")
        }
        return url
    }
}
