import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TackCore
import ZIPFoundation

/// Reads the text of office documents: Office Open XML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp), which
/// are zip archives of XML. Only the parts that hold the text are inflated (`word/document.xml`, the sheets and
/// shared strings, the slides in order, `content.xml`), through ZIPFoundation and a SAX parser, within bounds: at
/// most `maxXMLBytes` inflated in all (a zip bomb stops there, its start kept), `maxEntries` entries looked at, and
/// `maxTextBytes` of text kept. tackd runs it in a worker process with resource limits (`tackd text`).
public struct DocumentTextExtractor: Sendable {
    public var maxTextBytes: Int
    public var maxXMLBytes: Int
    public var maxEntries: Int

    /// `maxXMLBytes` defaults to 16 times the text kept (1 to 64 MiB): a document's XML is mostly markup, and what
    /// is inflated is held until parsed.
    public init(maxTextBytes: Int, maxXMLBytes: Int? = nil, maxEntries: Int = 10_000) {
        self.maxTextBytes = maxTextBytes
        self.maxXMLBytes = maxXMLBytes ?? min(64 << 20, max(1 << 20, 16 * maxTextBytes))
        self.maxEntries = maxEntries
    }

    public func extract(file path: String, format: TextFormat) throws(TackError) -> ExtractedText {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw TackError(.notText, "the document is not a readable zip archive (\(error))")
        }
        let parts = try textParts(of: archive, format: format)
        guard !parts.isEmpty else { throw TackError(.notText, "the archive has none of the parts a \(format.documentKind) keeps its text in") }
        var collector = TextCollector(limit: maxTextBytes)
        var inflated = 0
        for entry in parts where !collector.isFull {
            var xml = Data()
            var cut = false
            do {
                _ = try archive.extract(entry, bufferSize: 64 * 1024, skipCRC32: false) { chunk in
                    let room = maxXMLBytes - inflated
                    guard chunk.count <= room else {
                        xml.append(chunk.prefix(room))
                        inflated += room
                        throw InflationLimit()
                    }
                    xml.append(chunk)
                    inflated += chunk.count
                }
            } catch is InflationLimit {
                cut = true
            } catch {
                throw TackError(.notText, "the part \(entry.path) cannot be inflated (\(error))")
            }
            // A part cut short ends in the middle of its XML: what was parsed before the cut is kept.
            try collector.parse(xml, part: entry.path, complete: !cut)
            if cut { collector.truncated = true; break }
        }
        return ExtractedText(text: collector.text, truncated: collector.truncated)
    }

    /// The entries that hold a document's text, in reading order.
    func textParts(of archive: Archive, format: TextFormat) throws(TackError) -> [Entry] {
        var chosen: [(order: Int, entry: Entry)] = []
        var seen = 0
        for entry in archive {
            seen += 1
            guard seen <= maxEntries else { throw TackError(.notText, "the archive has more than \(maxEntries) entries") }
            guard entry.type == .file, let order = Self.order(ofPart: entry.path, format: format) else { continue }
            chosen.append((order, entry))
        }
        return chosen.sorted { $0.order < $1.order }.map(\.entry)
    }

    /// Where a part comes in reading order, or nil when it holds no text: the body, shared strings before the sheets
    /// that use them, sheets and slides by their number (slide10 after slide9).
    static func order(ofPart path: String, format: TextFormat) -> Int? {
        switch format {
        case .openDocument:
            return path == "content.xml" ? 0 : nil
        case .officeOpenXML:
            if path == "word/document.xml" || path == "xl/sharedStrings.xml" { return 0 }
            for prefix in ["xl/worksheets/sheet", "ppt/slides/slide"] where path.hasPrefix(prefix) && path.hasSuffix(".xml") {
                // Bounded, so a part named sheet9223372036854775807.xml cannot overflow the order.
                return Int(path.dropFirst(prefix.count).dropLast(4)).flatMap { (0..<1_000_000).contains($0) ? 1 + $0 : nil }
            }
            return nil
        case .plain, .pdf, .screenshot:
            return nil
        }
    }

    private struct InflationLimit: Error {}
}

extension TextFormat {
    var documentKind: String { self == .openDocument ? "OpenDocument file" : "Office document" }
}

/// The text of a document's XML parts: the characters of the elements that hold text, with a line after each
/// paragraph, heading, shared string or row and a tab after each cell, at most `limit` bytes.
struct TextCollector {
    let limit: Int
    private(set) var text = ""
    var truncated = false
    var isFull: Bool { text.utf8.count >= limit }

    init(limit: Int) { self.limit = limit }

    mutating func parse(_ xml: Data, part: String, complete: Bool) throws(TackError) {
        let delegate = XMLTextDelegate(room: limit - text.utf8.count)
        let parser = XMLParser(data: xml)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let parsed = parser.parse()
        text += delegate.text
        if delegate.full { truncated = true }
        // A part cut on purpose fails at the cut; any other failure is a broken document.
        guard parsed || delegate.full || !complete else {
            throw TackError(.notText, "the part \(part) is not well-formed XML (line \(parser.lineNumber)): \(parser.parserError.map { "\($0)" } ?? "a parse error")")
        }
    }
}

/// SAX callbacks for `TextCollector`: one part's text. A class because `XMLParser` wants an object; it lives only
/// inside one synchronous `parse()`.
private final class XMLTextDelegate: NSObject, XMLParserDelegate {
    static let wordprocessing = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    static let drawing = "http://schemas.openxmlformats.org/drawingml/2006/main"
    static let spreadsheet = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let openDocumentText = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"

    var text = ""
    var full = false
    private let room: Int
    /// Inside a text run (`w:t`, `a:t`, a sheet's `t`), or inside an OpenDocument paragraph or heading (spans nest).
    private var runs = 0
    private var paragraphs = 0

    init(room: Int) { self.room = room }

    private func add(_ string: String) {
        guard !full else { return }
        let left = room - text.utf8.count
        if string.utf8.count <= left {
            text += string
            return
        }
        // Cut on a character boundary within the room left.
        var used = 0
        for character in string {
            used += character.utf8.count
            guard used <= left else { break }
            text.append(character)
        }
        full = true
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch (namespaceURI ?? "", name) {
        case (Self.wordprocessing, "t"), (Self.drawing, "t"), (Self.spreadsheet, "t"): runs += 1
        case (Self.openDocumentText, "p"), (Self.openDocumentText, "h"): paragraphs += 1
        case (Self.wordprocessing, "tab"), (Self.openDocumentText, "tab"): add("\t")
        case (Self.wordprocessing, "br"), (Self.openDocumentText, "line-break"): add("\n")
        case (Self.openDocumentText, "s"):
            // <text:s text:c="3"/> is three spaces.
            add(String(repeating: " ", count: max(1, min(1000, Int(attributes["text:c"] ?? attributes["c"] ?? "1") ?? 1))))
        default: break
        }
        if full { parser.abortParsing() }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch (namespaceURI ?? "", name) {
        case (Self.wordprocessing, "t"), (Self.drawing, "t"), (Self.spreadsheet, "t"): runs -= 1
        case (Self.openDocumentText, "p"), (Self.openDocumentText, "h"):
            paragraphs -= 1
            add("\n")
        case (Self.wordprocessing, "p"), (Self.drawing, "p"), (Self.spreadsheet, "si"), (Self.spreadsheet, "row"): add("\n")
        case (Self.spreadsheet, "c"), (Self.wordprocessing, "tc"): add("\t")
        default: break
        }
        if full { parser.abortParsing() }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard runs > 0 || paragraphs > 0 else { return }
        add(string)
        if full { parser.abortParsing() }
    }
}

/// What `tackd text` prints: the text and whether the file held more, or why it has none.
public struct TextWorkerAnswer: Codable, Sendable, Equatable {
    public var text: String?
    public var truncated: Bool?
    public var error: String?

    public init(text: String? = nil, truncated: Bool? = nil, error: String? = nil) {
        self.text = text
        self.truncated = truncated
        self.error = error
    }
}
