/// Decides a file's content type from its first bytes; the client's declared type and the name are hints only.
///
/// Serving the declared type would let an uploader call HTML an image; sniffing is what makes the
/// inline allowlist trustworthy.
public enum ContentSniffer {
    /// How many leading bytes `sniff` looks at.
    public static let prefixLength = 512

    /// Raster types a browser may show inline; everything else is served as a download.
    public static let inlineTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    public static let fallback = "application/octet-stream"

    public static func sniff(prefix: some Collection<UInt8>, declared: String? = nil, name: String? = nil) -> String {
        let bytes = Array(prefix.prefix(prefixLength))
        if let binary = binaryType(bytes) {
            if binary == "application/zip", let ext = name.flatMap(fileExtension), let office = zipContainers[ext] {
                return office
            }
            return binary
        }
        if let markup = markupType(bytes) { return markup }
        if !bytes.isEmpty, looksLikeText(bytes) {
            if let ext = name.flatMap(fileExtension), let refined = textRefinements[ext] { return refined }
            if let declared = declared.map(essence),
               let refined = textRefinements.values.first(where: { essence($0) == declared }) {
                return refined
            }
            return "text/plain; charset=utf-8"
        }
        return fallback
    }

    static func binaryType(_ b: [UInt8]) -> String? {
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + signature.count && Array(b[offset..<(offset + signature.count)]) == signature
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { starts(Array(text.utf8), at: offset) }

        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if ascii("GIF87a") || ascii("GIF89a") { return "image/gif" }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return "image/webp" }
        if ascii("RIFF") && ascii("WAVE", at: 8) { return "audio/wav" }
        if ascii("BM") && b.count >= 14 { return "image/bmp" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        if ascii("%PDF-") { return "application/pdf" }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return "application/zip" }
        if starts([0x1F, 0x8B]) { return "application/gzip" }
        if ascii("7z") && starts([0xBC, 0xAF, 0x27, 0x1C], at: 2) { return "application/x-7z-compressed" }
        if ascii("Rar!") { return "application/vnd.rar" }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) { return "video/webm" }
        if ascii("OggS") { return "audio/ogg" }
        if ascii("fLaC") { return "audio/flac" }
        if ascii("ID3") || starts([0xFF, 0xFB]) { return "audio/mpeg" }
        if ascii("ftyp", at: 4), b.count >= 12 {
            let brand = String(decoding: b[8..<12], as: UTF8.self)
            switch brand {
            case "avif", "avis": return "image/avif"
            case "heic", "heix", "mif1", "msf1": return "image/heic"
            case "qt  ": return "video/quicktime"
            // iTunes' audio brands: an MP4 holding sound alone (an M4A recording, an audiobook).
            case "M4A ", "M4B ", "M4P ": return "audio/mp4"
            default: return "video/mp4"
            }
        }
        if b.contains(0) { return fallback }
        return nil
    }

    /// HTML and SVG are recorded as what they are, so they are never mistaken for plain text or images.
    static func markupType(_ b: [UInt8]) -> String? {
        var start = b[...]
        if start.starts(with: [0xEF, 0xBB, 0xBF]) { start = start.dropFirst(3) }
        while let first = start.first, first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D {
            start = start.dropFirst()
        }
        let head = String(decoding: start.prefix(256), as: UTF8.self).lowercased()
        if head.hasPrefix("<!doctype html") || head.hasPrefix("<html") || head.hasPrefix("<head")
            || head.hasPrefix("<body") || head.hasPrefix("<script") || head.hasPrefix("<iframe") {
            return "text/html"
        }
        if head.hasPrefix("<svg") || (head.hasPrefix("<?xml") && head.contains("<svg")) { return "image/svg+xml" }
        if head.hasPrefix("<?xml") { return "application/xml" }
        return nil
    }

    /// Valid UTF-8 (a character cut off at the end of the prefix is fine) without control bytes other than whitespace.
    static func looksLikeText(_ b: [UInt8]) -> Bool {
        for byte in b where byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D && byte != 0x0C && byte != 0x1B {
            return false
        }
        var slice = b[...]
        for _ in 0..<4 {
            if String(validating: slice, as: UTF8.self) != nil { return true }
            guard b.count >= prefixLength, !slice.isEmpty else { return false }
            slice = slice.dropLast()
        }
        return false
    }

    static let zipContainers: [String: String] = [
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
        "epub": "application/epub+zip",
    ]

    static let textRefinements: [String: String] = [
        "csv": "text/csv; charset=utf-8",
        "json": "application/json",
        "md": "text/markdown; charset=utf-8",
        "markdown": "text/markdown; charset=utf-8",
        "log": "text/plain; charset=utf-8",
    ]

    static func fileExtension(_ name: String) -> String? {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        return name[name.index(after: dot)...].lowercased()
    }

    /// A media type without its parameters, lower-cased: `Text/HTML; charset=utf-8` is `text/html`.
    public static func essence(_ type: String) -> String {
        type.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
    }
}
