/// How tackd reads the text out of a kind of file, for search and for `GET /attachments/{id}/text`.
public enum TextFormat: String, Sendable, Equatable, CaseIterable {
    /// Plain text, Markdown, CSV, JSON, XML and source code: the bytes are the text.
    case plain
    /// Word, Excel and PowerPoint files (docx, xlsx, pptx): zip archives of XML.
    case officeOpenXML = "ooxml"
    /// OpenDocument text, spreadsheets and presentations (odt, ods, odp): zip archives of XML.
    case openDocument = "odf"
    /// PDF, read by poppler.
    case pdf
    /// A screenshot (PNG or JPEG sent as one) or an image that looks like text, read by OCR.
    case screenshot = "ocr"

    /// The format of a stored file, from the content type tackd sniffed for it; nil for files with no text it reads.
    public init?(contentType: String) {
        let essence = ContentSniffer.essence(contentType)
        if Self.plainTypes.contains(essence) {
            self = .plain
        } else if essence == "application/pdf" {
            self = .pdf
        } else if essence.hasPrefix("application/vnd.openxmlformats-officedocument.") {
            self = .officeOpenXML
        } else if ["text", "spreadsheet", "presentation"].contains(where: { essence == "application/vnd.oasis.opendocument." + $0 }) {
            self = .openDocument
        } else {
            return nil
        }
    }

    /// HTML is left out: its text is mostly markup and script, and the gallery never shows it inline.
    static let plainTypes: Set<String> = ["text/plain", "text/markdown", "text/csv", "application/json", "application/xml"]
}

/// Which stored files tackd reads the text of: every document it has a reader for, and screenshots by OCR unless the
/// operator turned it off (`ocr = off`: tesseract costs seconds of CPU per screenshot). One value, used wherever a
/// file's text is queued, read or reported, so a screenshot with OCR off says `none`, never `pending` forever.
public struct TextReading: Sendable, Equatable {
    public var ocr: Bool

    public init(ocr: Bool = true) { self.ocr = ocr }

    /// How the text of `attachment` is read, or nil when it is not.
    public func format(of attachment: Attachment) -> TextFormat? {
        guard let format = attachment.textFormat else { return nil }
        return format == .screenshot && !ocr ? nil : format
    }
}

/// Text read out of a file: what search indexes and members can read, at most the configured number of bytes.
public struct ExtractedText: Sendable, Equatable {
    public var text: String
    /// True when the file held more text than was kept.
    public var truncated: Bool

    public init(text: String, truncated: Bool) {
        self.text = text
        self.truncated = truncated
    }
}

/// The text of a plain-text file's first bytes.
public enum PlainTextExtractor {
    /// Decodes `bytes`, the first bytes of a file (`complete` when they are all of it), keeping at most `limit`
    /// bytes of UTF-8. The sniffer already required valid UTF-8 at the start; a byte sequence that is not UTF-8
    /// further on becomes U+FFFD, and a character cut by the end of `bytes` is dropped. NUL and other control bytes
    /// (a binary file with a text-looking start) make it not text.
    public static func extract(_ bytes: some Collection<UInt8>, complete: Bool, limit: Int) throws(TackError) -> ExtractedText {
        var kept = Array(bytes.prefix(max(0, limit)))
        var truncated = !complete || bytes.count > kept.count
        if kept.starts(with: [0xEF, 0xBB, 0xBF]) { kept.removeFirst(3) }
        if truncated { kept.removeLast(cutCharacterLength(kept)) }
        var controls = 0
        for byte in kept where byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D && byte != 0x0C && byte != 0x1B {
            controls += 1
        }
        guard controls == 0 else {
            throw TackError(.notText, "the file has \(controls) control byte\(controls == 1 ? "" : "s") (NUL and the like): it is not text")
        }
        var text = String(decoding: kept, as: UTF8.self)
        // U+FFFD takes three bytes where a stray byte took one: keep the promise of at most `limit` bytes.
        if text.utf8.count > limit {
            var scalars = String.UnicodeScalarView()
            var used = 0
            for scalar in text.unicodeScalars {
                used += UTF8.width(scalar)
                guard used <= limit else { break }
                scalars.append(scalar)
            }
            text = String(scalars)
            truncated = true
        }
        return ExtractedText(text: text, truncated: truncated)
    }

    /// How many bytes at the end of `bytes` are the start of a UTF-8 character whose rest was cut off.
    static func cutCharacterLength(_ bytes: [UInt8]) -> Int {
        // Look back over at most three continuation bytes for the lead byte of the last character.
        var index = bytes.count - 1
        var continuations = 0
        while index >= 0, continuations < 3, bytes[index] & 0xC0 == 0x80 {
            index -= 1
            continuations += 1
        }
        guard index >= 0 else { return 0 }
        let lead = bytes[index]
        let length = lead < 0x80 ? 1 : lead & 0xE0 == 0xC0 ? 2 : lead & 0xF0 == 0xE0 ? 3 : lead & 0xF8 == 0xF0 ? 4 : 1
        return continuations + 1 < length ? continuations + 1 : 0
    }
}
