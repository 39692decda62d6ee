import Foundation
import NIOCore
import TackCore
import TackLinks
import TackStorage

/// Brings a linked external file into a room: resolve the share link, fetch through the guarded fetcher, and
/// store it through the same path as an upload, remembering where it came from.
struct LinkImporter: Sendable {
    let rules: ProviderRules
    let fetcher: GuardedFetcher
    let uploads: UploadPipeline
    let catalog: any Catalog
    let maxNameBytes: Int
    /// False when the operator turned link fetching off (`link_fetching`).
    let fetching: Bool

    enum Outcome: Sendable {
        case created(Attachment)
        case unchanged(Attachment)
    }

    /// Fetches `link` for `room`. With `previous` (a refresh), asks the upstream for changes only and answers
    /// `unchanged` when the bytes are the same; otherwise records a new version of `previous`.
    func importLink(_ link: String, room: RoomID, member: String, previous: Attachment? = nil) async throws -> Outcome {
        let plan = try rules.plan(for: link)
        guard fetching else {
            throw TackError(.linksDisabled, "this server does not fetch linked files; upload the file instead")
        }
        var conditional: [(String, String)] = []
        if let source = previous?.source {
            if let etag = source.etag { conditional.append(("If-None-Match", etag)) }
            if let modified = source.lastModified { conditional.append(("If-Modified-Since", modified)) }
        }
        return try await fetch(plan.download, plan: plan, link: link, headers: conditional, confirmPages: 0,
                               room: room, member: member, previous: previous)
    }

    private func fetch(_ url: URL, plan: LinkPlan, link: String, headers: [(String, String)], confirmPages: Int,
                       room: RoomID, member: String, previous: Attachment?) async throws -> Outcome {
        try await fetcher.fetch(url, headers: headers) { head, body in
            let source = LinkSource(provider: plan.provider.rawValue, url: link, fetchedAt: Date(),
                                    etag: head.headers.first(name: "etag"),
                                    lastModified: head.headers.first(name: "last-modified"))
            if head.status == 304, let previous {
                try await catalog.recordRefetch(previous.id, source: source)
                return .unchanged(previous)
            }
            let type = head.headers.first(name: "content-type")?.lowercased() ?? ""
            if plan.provider == .googleDrive, type.hasPrefix("text/html") {
                // Drive's "can't scan for viruses" page stands where the bytes should be; follow it once or twice.
                guard confirmPages < 2 else {
                    throw TackError(.upstreamNotAFile, "Google Drive kept answering with a page")
                }
                let html = try await Self.text(of: body, limit: 2 << 20)
                guard let next = try DriveConfirmPage.downloadURL(in: html, page: head.url) else {
                    throw TackError(.upstreamNotAFile, "Google Drive answered with a page instead of the file; is the file shared with anyone who has the link?")
                }
                return try await fetch(next, plan: plan, link: link, headers: headers, confirmPages: confirmPages + 1,
                                       room: room, member: member, previous: previous)
            }
            // The upstream's own name first; then, for plain links, where the redirects ended (the pasted path may
            // be a short link), and for providers the name in the share link.
            let fromResponse = head.headers.first(name: "content-disposition")
                .flatMap { try? ContentDisposition.fileName(fromHeader: $0) }
            let fromPaths = plan.provider == .https
                ? [head.url.lastPathComponent, plan.suggestedName] : [plan.suggestedName, head.url.lastPathComponent]
            let name = ([fromResponse] + fromPaths).lazy.compactMap { $0 }
                .compactMap { AttachmentName.sanitized($0, maxBytes: maxNameBytes) }.first
            // A linked file is an upload by the member who pasted it: the same pipeline, limits and quota.
            let (quota, used) = try await uploads.quota(of: member)
            let upload = Upload(room: room, uploader: member, limit: fetcher.limits.maxBytes, quota: quota, name: name,
                                declaredType: type, source: source, versionOf: previous.map { $0.versionOf ?? $0.id })
            try uploads.precheck(declaredLength: head.contentLength, framing: 0, upload: upload, used: used)
            let attachment = try await uploads.run(body, upload).attachment
            if let previous, attachment.sha256 == previous.sha256 {
                // Same bytes under a new validator: keep one version.
                _ = try await catalog.deleteAttachment(attachment.id)
                try await catalog.recordRefetch(previous.id, source: source)
                return .unchanged(previous)
            }
            return .created(attachment)
        }
    }

    static func text(of body: CappedBody, limit: Int) async throws -> String {
        var bytes: [UInt8] = []
        for try await chunk in body {
            bytes += chunk.readableBytesView
            if bytes.count > limit { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
