/// What kind of file an attachment is, as people filter and count them: `type:image`, the gallery's tabs.
///
/// The media kinds (image, video, audio, document, archive, other) partition attachments; `link` (fetched from a
/// pasted link) and `screenshot` (sent by `tack shot`) say where a file came from, so a screenshot is an image too.
public enum AttachmentType: String, Sendable, CaseIterable, Codable {
    case image, video, audio, document, archive, link, screenshot, other

    /// The kinds every attachment has exactly one of.
    public static let mediaKinds: [AttachmentType] = [.image, .video, .audio, .document, .archive, .other]

    /// The media kind of a file from its content type, or from its name's extension when the type says nothing
    /// (`application/octet-stream`, what many clients send for a `.docx`).
    public static func media(contentType: String, name: String) -> AttachmentType {
        // Most types as tackd stores them are already lowercase with a major type that decides: answered without
        // the allocations below (a listed page asks this of every row; it was 6 % of an uncached page's time).
        let utf8 = contentType.utf8
        if utf8.starts(with: "image/".utf8) { return .image }
        if utf8.starts(with: "video/".utf8) { return .video }
        if utf8.starts(with: "audio/".utf8) { return .audio }
        if utf8.starts(with: "text/".utf8) { return .document }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        if let kind = byContentType(type) { return kind }
        return byExtension[AttachmentType.fileExtension(of: name)] ?? .other
    }

    /// The lowercased extension of a file name without its dot; empty when it has none (`.bashrc` has none).
    public static func fileExtension(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }

    private static func byContentType(_ type: String) -> AttachmentType? {
        let major = type.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        switch major {
        case "image": return .image
        case "video": return .video
        case "audio": return .audio
        case "text": return .document
        default: break
        }
        if documentTypes.contains(type) || type.hasPrefix("application/vnd.openxmlformats-officedocument.")
            || type.hasPrefix("application/vnd.oasis.opendocument.") || type.hasPrefix("application/vnd.ms-") {
            return .document
        }
        if archiveTypes.contains(type) { return .archive }
        return nil
    }

    private static let documentTypes: Set<String> = [
        "application/pdf", "application/msword", "application/rtf", "application/epub+zip", "application/json",
        "application/xml", "application/x-tex",
    ]
    private static let archiveTypes: Set<String> = [
        "application/zip", "application/x-tar", "application/gzip", "application/x-gzip", "application/x-7z-compressed",
        "application/x-rar-compressed", "application/vnd.rar", "application/x-bzip2", "application/x-xz",
        "application/zstd", "application/x-zstd", "application/java-archive",
    ]
    private static let byExtension: [String: AttachmentType] = {
        var table: [String: AttachmentType] = [:]
        for ext in ["png", "jpg", "jpeg", "gif", "webp", "heic", "heif", "avif", "bmp", "tif", "tiff", "svg", "ico"] {
            table[ext] = .image
        }
        for ext in ["mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ogv", "3gp"] { table[ext] = .video }
        for ext in ["mp3", "m4a", "aac", "wav", "flac", "ogg", "oga", "opus", "wma", "aiff"] { table[ext] = .audio }
        for ext in ["pdf", "txt", "md", "rtf", "doc", "docx", "odt", "xls", "xlsx", "ods", "csv", "ppt", "pptx",
                    "odp", "epub", "pages", "numbers", "key", "tex", "json", "xml", "html", "htm"] {
            table[ext] = .document
        }
        for ext in ["zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "jar"] { table[ext] = .archive }
        return table
    }()
}
