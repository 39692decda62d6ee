import Foundation
import TackCore
import TackTestSupport
import Testing
@testable import TackText

/// The text of office documents written by real programs (python-docx, openpyxl, odfpy, as Debian ships them), in
/// reading order, within every bound: a zip bomb is cut at the XML cap with its start kept, a cut-off file is refused
/// with the reason.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct DocumentTextTests {
    /// Runs a Python script that writes the document at argv[1], and returns its path.
    func document(_ ext: String, _ script: String) throws -> String {
        let path = NSTemporaryDirectory() + "doc-\(UUID().uuidString).\(ext)"
        _ = try Pillow.evaluate(script, [path])
        return path
    }

    func extract(_ path: String, _ format: TextFormat, maxBytes: Int = 1 << 20) throws -> ExtractedText {
        try DocumentTextExtractor(maxTextBytes: maxBytes).extract(file: path, format: format)
    }

    @Test func wordDocumentsInReadingOrder() throws {
        let path = try document("docx", """
            import sys, docx
            d = docx.Document()
            d.add_heading("Service agreement", 0)
            d.add_paragraph("The penalty clause applies after thirty days.")
            p = d.add_paragraph("Signed in ")
            p.add_run("Zürich").bold = True
            t = d.add_table(rows=1, cols=2)
            t.rows[0].cells[0].text = "fee"
            t.rows[0].cells[1].text = "walrus"
            d.save(sys.argv[1])
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try extract(path, .officeOpenXML)
        #expect(!text.truncated)
        let lines = text.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(lines == ["Service agreement", "The penalty clause applies after thirty days.", "Signed in Zürich", "fee", "walrus"],
                "\(text.text.debugDescription)")
    }

    @Test func spreadsheetsWithInlineAndSharedStrings() throws {
        // openpyxl writes strings inline in each sheet; Excel writes them once in xl/sharedStrings.xml. A workbook
        // with both kinds: sheet2 refers to a shared string the script adds by hand.
        let path = try document("xlsx", """
            import sys, zipfile, openpyxl
            w = openpyxl.Workbook()
            s = w.active
            s["A1"] = "platypus budget"; s["B1"] = 42; s["A2"] = "Q3 forecast"
            w.create_sheet("Second")["A1"] = "numbat"
            w.save(sys.argv[1])
            src = zipfile.ZipFile(sys.argv[1])
            parts = {n: src.read(n) for n in src.namelist()}
            parts["xl/sharedStrings.xml"] = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>echidna</t></si></sst>'
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as out:
                for n, b in parts.items(): out.writestr(n, b)
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let words = try extract(path, .officeOpenXML).text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        #expect(words == ["echidna", "platypus", "budget", "Q3", "forecast", "numbat"], "shared strings, then sheet1, then sheet2: \(words)")
    }

    @Test func openDocumentText() throws {
        let path = try document("odt", """
            import sys
            from odf.opendocument import OpenDocumentText
            from odf.text import H, P, Span, S, Tab
            o = OpenDocumentText()
            o.text.addElement(H(outlinelevel=1, text="Minutes"))
            p = P(text="The axolotl project")
            p.addElement(Span(text=" is late"))
            p.addElement(S(c=3))
            p.addElement(Span(text="again"))
            o.text.addElement(p)
            o.save(sys.argv[1])
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try extract(path, .openDocument).text == "Minutes\nThe axolotl project is late   again\n")
    }

    @Test func aZipBombIsCutAtTheCapWithItsStartKept() throws {
        // 200 MB of paragraphs in 600 KB: inflated only up to the XML cap.
        let path = NSTemporaryDirectory() + "bomb-\(UUID().uuidString).docx"
        try Data(try Documents.zipBomb()).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let small = try DocumentTextExtractor(maxTextBytes: 4096).extract(file: path, format: .officeOpenXML)
        #expect(small.truncated && small.text.utf8.count <= 4096 && small.text.hasPrefix("boom\nboom\n"))
        // A text cap larger than what the XML cap lets through: the XML cap ends it, still as a truncated text.
        let capped = try DocumentTextExtractor(maxTextBytes: 8 << 20, maxXMLBytes: 1 << 20).extract(file: path, format: .officeOpenXML)
        #expect(capped.truncated && capped.text.utf8.count < 1 << 20 && capped.text.hasPrefix("boom\n"))
    }

    @Test func brokenFilesSayWhy() throws {
        let whole = try document("docx", "import sys, docx\nd = docx.Document()\nd.add_paragraph('x')\nd.save(sys.argv[1])")
        defer { try? FileManager.default.removeItem(atPath: whole) }
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        let half = whole + ".half"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: half))
        defer { try? FileManager.default.removeItem(atPath: half) }
        #expect { try extract(half, .officeOpenXML) } throws: { ($0 as? TackError)?.message.contains("zip archive") == true }
        // A zip without the parts a document keeps its text in.
        let empty = try document("docx", "import sys, zipfile\nzipfile.ZipFile(sys.argv[1], 'w').writestr('readme.txt', 'hi')")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect { try extract(empty, .officeOpenXML) } throws: { ($0 as? TackError)?.message.contains("none of the parts") == true }
        // Malformed XML in the body: Foundation's parser recovers (libxml2's recovery mode), and the words it can
        // reach are kept, as a search would want.
        let malformed = try document("odt", """
            import sys, zipfile
            zipfile.ZipFile(sys.argv[1], 'w').writestr('content.xml',
              '<t:p xmlns:t="urn:oasis:names:tc:opendocument:xmlns:text:1.0">hello <b></t:p>')
            """)
        defer { try? FileManager.default.removeItem(atPath: malformed) }
        #expect(try extract(malformed, .openDocument).text.hasPrefix("hello"))
    }

    @Test func partsComeInReadingOrder() {
        #expect(DocumentTextExtractor.order(ofPart: "ppt/slides/slide10.xml", format: .officeOpenXML) == 11)
        #expect(DocumentTextExtractor.order(ofPart: "ppt/slides/slide9.xml", format: .officeOpenXML) == 10)
        #expect(DocumentTextExtractor.order(ofPart: "ppt/slides/_rels/slide1.xml.rels", format: .officeOpenXML) == nil)
        #expect(DocumentTextExtractor.order(ofPart: "word/styles.xml", format: .officeOpenXML) == nil)
        #expect(DocumentTextExtractor.order(ofPart: "xl/worksheets/sheet9223372036854775807.xml", format: .officeOpenXML) == nil)
        #expect(DocumentTextExtractor.order(ofPart: "content.xml", format: .openDocument) == 0)
        #expect(DocumentTextExtractor.order(ofPart: "styles.xml", format: .openDocument) == nil)
    }
}

/// PDFs written by ReportLab, read through poppler's pdftotext: pages in order, the cap honoured with the reader
/// stopped early, a damaged file refused with the reason.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct PDFTextTests {
    func pdf(pages: [String]) throws -> String {
        let path = NSTemporaryDirectory() + "pdf-\(UUID().uuidString).pdf"
        _ = try Pillow.evaluate("""
            import sys
            from reportlab.pdfgen import canvas
            c = canvas.Canvas(sys.argv[1])
            for page in sys.argv[2:]:
                y = 800
                for line in page.split("|"):
                    c.drawString(72, y, line); y -= 14
                c.showPage()
            c.save()
            """, [path] + pages)
        return path
    }

    @Test func pagesInOrder() throws {
        let path = try pdf(pages: ["Contract for services|The penalty clause applies.", "Page two: signatures"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try ProgramTextReader.pdf(maxTextBytes: 1 << 20).extract(file: path)
        let lines = text.text.split(separator: "\n").map(String.init)
        #expect(lines == ["Contract for services", "The penalty clause applies.", "Page two: signatures"], "\(text.text.debugDescription)")
        #expect(!text.truncated)
    }

    @Test func theCapStopsTheReader() throws {
        let page = Array(repeating: "lorem ipsum dolor sit amet consectetur", count: 50).joined(separator: "|")
        let path = try pdf(pages: Array(repeating: page, count: 40))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try ProgramTextReader.pdf(maxTextBytes: 2048).extract(file: path)
        #expect(text.truncated && text.text.utf8.count <= 2048 && text.text.hasPrefix("lorem ipsum"))
    }

    @Test func damagedAndMissing() throws {
        let path = try pdf(pages: ["whole"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let damaged = path + ".cut.pdf"
        try (Data("%PDF-1.4\n".utf8) + Data(repeating: 0x20, count: 64)).write(to: URL(fileURLWithPath: damaged))
        defer { try? FileManager.default.removeItem(atPath: damaged) }
        #expect(data.count > 100)
        #expect { try ProgramTextReader.pdf(maxTextBytes: 1024).extract(file: damaged) } throws: {
            ($0 as? TackError)?.message.contains("damaged") == true
        }
        // No reader installed: not the file's fault, a distinct error.
        #expect(throws: ProgramTextReader.ReaderUnavailable.self) {
            try ProgramTextReader.pdf(maxTextBytes: 1024, program: "/nonexistent/pdftotext").extract(file: path)
        }
    }
}
