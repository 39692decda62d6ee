import Foundation
import NIOCore
import TackSpawn
import TackTestSupport
import Testing

/// Files are found by what they say: tackd reads the text of plain-text files in the background (real files made by
/// real programs: Debian's copy of the GPL, Python's own JSON decoder, a CSV written by Python's csv module), once
/// per stored file, capped at `max_extract_bytes`, and shows it to members only.
@Suite(.timeLimit(.minutes(5))) struct TextSearchTests {
    static let license = "/usr/share/common-licenses/GPL-3"

    private func names(_ reply: Reply) -> [String] {
        ((reply.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    }

    private func search(_ api: API, room: String, _ text: String) async throws -> [String] {
        names(try await api.request(.GET, "/v1/rooms/\(room)/attachments?q=" + (text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text)))
    }

    /// The attachment's `text` facts once reading it has ended (done or failed), within 30 s.
    private func textFacts(_ api: API, _ id: String) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let facts = try #require(try await api.request(.GET, "/v1/attachments/\(id)").json["text"] as? [String: Any])
            if facts["state"] as? String != "pending" || ContinuousClock.now > deadline { return facts }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func upload(_ api: API, _ bytes: [UInt8], room: String, name: String) async throws -> String {
        let reply = try await api.upload(bytes, room: room, name: name)
        #expect(reply.status == 201, "\(name): \(reply.text)")
        return try #require(reply.json["id"] as? String)
    }

    /// Python's json/decoder.py, as the interpreter that runs the tests has it.
    private func pythonSource() throws -> (path: String, bytes: [UInt8]) {
        let path = try Pillow.evaluate("import json.decoder; print(json.decoder.__file__)", [])
        return (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// A CSV that Python's csv module writes: quoting, a comma inside a field, a newline inside a field.
    private func csv() throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "text-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Pillow.evaluate("""
            import csv, sys
            with open(sys.argv[1], "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["animal", "habitat", "note"])
                w.writerow(["quokka", "Rottnest Island, Australia", "smiles\\nin photos"])
                w.writerow(["kea", "Southern Alps", "opens car doors"])
            """, [path])
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func filesAreFoundByWhatTheySay() async throws {
        let world = try await World.make()
        let license = try await upload(world.carol, Array(try Data(contentsOf: URL(fileURLWithPath: Self.license))),
                                       room: world.room, name: "terms.txt")
        let source = try pythonSource()
        let code = try await upload(world.fred, source.bytes, room: world.room, name: "parser.py")
        let table = try await upload(world.fred, try csv(), room: world.room, name: "animals.csv")
        // Starts like text (the sniffer reads 512 bytes), then NUL bytes: a binary file, not text.
        let binary = try await upload(world.fred, Array(String(repeating: "header line\n", count: 60).utf8) + [0, 1, 2, 0] + Array(repeating: 0x41, count: 100),
                                      room: world.room, name: "dump.log")
        let photo = try await upload(world.carol, try RealPhotos.bytes(RealPhotos.baseline), room: world.room, name: "photo.jpg")

        for id in [license, code, table] {
            let facts = try await textFacts(world.carol, id)
            #expect(facts["state"] as? String == "done", "\(id): \(facts)")
            #expect(facts["truncated"] as? Bool == false)
        }
        let failed = try await textFacts(world.carol, binary)
        #expect(failed["state"] as? String == "failed")
        #expect((failed["reason"] as? String)?.contains("not text") == true, "\(failed)")
        #expect(try await textFacts(world.carol, photo)["state"] as? String == "none")

        #expect(try await search(world.carol, room: world.room, "\"ABSOLUTELY NO WARRANTY\"") == ["terms.txt"])
        #expect(try await search(world.carol, room: world.room, "JSONDecodeError") == ["parser.py"])
        #expect(try await search(world.carol, room: world.room, "quokka rottnest") == ["animals.csv"],
                "words from different fields of one CSV row")
        #expect(try await search(world.carol, room: world.room, "lgpl -ext:py") == ["terms.txt"], "the license's last line")
        #expect(try await search(world.carol, room: world.room, "\"header line\"") == [], "a failed read indexes nothing")

        // The text itself, for members: exactly the file's, its characters counted.
        let text = try await world.fred.request(.GET, "/v1/attachments/\(code)/text")
        #expect(text.status == 200)
        #expect(text.json["text"] as? String == String(decoding: source.bytes, as: UTF8.self))
        #expect(text.json["characters"] as? Int == String(decoding: source.bytes, as: UTF8.self).count)
        #expect(text.json["state"] as? String == "done")
        let none = try await world.carol.request(.GET, "/v1/attachments/\(photo)/text")
        #expect(none.status == 200 && none.json["state"] as? String == "none" && none.json["text"] == nil)
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(code)/text").status == 404)
        // Words inside a file of a room fred is not in find nothing for him, across all his rooms.
        let privateRoom = try #require(try await world.carol.json(.POST, "/v1/rooms", ["name": "Private"]).json["id"] as? String)
        let secret = try await upload(world.carol, Array("the zanzibar merger closes friday\n".utf8), room: privateRoom, name: "memo.txt")
        #expect(try await textFacts(world.carol, secret)["state"] as? String == "done")
        #expect(names(try await world.carol.request(.GET, "/v1/attachments?q=zanzibar")) == ["memo.txt"])
        #expect(names(try await world.fred.request(.GET, "/v1/attachments?q=zanzibar")) == [])
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(secret)/text").status == 404)
    }

    @Test func documentsAndPDFsAreReadInAWorkerProcess() async throws {
        let world = try await World.make()
        let contract = try await upload(world.carol, try Documents.write("docx", """
            import docx
            d = docx.Document(); d.add_heading("Service agreement", 0)
            d.add_paragraph("The penalty clause applies after thirty days."); d.save(sys.argv[1])
            """), room: world.room, name: "agreement.docx")
        let sheet = try await upload(world.carol, try Documents.write("xlsx", """
            import openpyxl
            w = openpyxl.Workbook(); w.active["A1"] = "platypus budget"; w.save(sys.argv[1])
            """), room: world.room, name: "numbers.xlsx")
        let minutes = try await upload(world.fred, try Documents.write("odt", """
            from odf.opendocument import OpenDocumentText
            from odf.text import P
            o = OpenDocumentText(); o.text.addElement(P(text="The axolotl project is late")); o.save(sys.argv[1])
            """), room: world.room, name: "minutes.odt")
        let report = try await upload(world.fred, try Documents.write("pdf", """
            from reportlab.pdfgen import canvas
            c = canvas.Canvas(sys.argv[1]); c.drawString(72, 800, "Quarterly numbat census"); c.showPage()
            c.drawString(72, 800, "The timeout error is on page two"); c.save()
            """), room: world.room, name: "report.pdf")
        // 200 MB of XML in 600 KB, and a document cut in half.
        let bomb = try await upload(world.fred, try Documents.zipBomb(), room: world.room, name: "bomb.docx")
        let whole = try Documents.write("docx", "import docx\nd = docx.Document(); d.add_paragraph('cut'); d.save(sys.argv[1])")
        let cut = try await upload(world.fred, Array(whole.prefix(whole.count / 2)), room: world.room, name: "cut.docx")

        for id in [contract, sheet, minutes, report] {
            #expect(try await textFacts(world.carol, id)["state"] as? String == "done", "\(id)")
        }
        #expect(try await search(world.carol, room: world.room, "\"penalty clause\"") == ["agreement.docx"])
        #expect(try await search(world.carol, room: world.room, "platypus") == ["numbers.xlsx"])
        #expect(try await search(world.carol, room: world.room, "axolotl") == ["minutes.odt"])
        #expect(try await search(world.carol, room: world.room, "\"timeout error\"") == ["report.pdf"], "from a PDF's second page")
        let bombFacts = try await textFacts(world.carol, bomb)
        #expect(bombFacts["state"] as? String == "done" && bombFacts["truncated"] as? Bool == true, "\(bombFacts)")
        #expect((try await world.carol.request(.GET, "/v1/attachments/\(bomb)/text").json["text"] as? String)?.utf8.count ?? .max <= 1 << 20)
        let cutFacts = try await textFacts(world.carol, cut)
        #expect(cutFacts["state"] as? String == "failed" && (cutFacts["reason"] as? String)?.contains("zip") == true, "\(cutFacts)")
        #expect(try await world.carol.request(.GET, "/healthz").status == 200, "tackd is unaffected")
    }

    /// A PNG of a whole X screen (ImageMagick's `import`) showing a real xterm that printed `lines`, `columns` by
    /// `rows` characters (150 by 34 fill the screen).
    private func terminalScreenshot(_ lines: [String], columns: Int = 80, rows: Int = 20) async throws -> [UInt8] {
        let screen = try VirtualScreen(width: 1280, height: 720)
        let printed = NSTemporaryDirectory() + "terminal-\(UUID().uuidString).txt"
        try lines.joined(separator: "\n").write(toFile: printed, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: printed) }
        let terminal = try ChildProcess.run(
            "/usr/bin/xterm",
            ["-geometry", "\(columns)x\(rows)+0+0", "-fa", "DejaVu Sans Mono", "-fs", "14", "-e", "cat '\(printed)'; read line"],
            environment: ProcessInfo.processInfo.environment.merging(["DISPLAY": screen.display]) { $1 },
            input: .null, error: .null)
        defer { terminal.signal(SIGKILL); terminal.waitUntilExit() }
        try #require(try screen.run("timeout", ["10", "xdotool", "search", "--sync", "--onlyvisible", "--class", "xterm"]).status == 0)
        try await Task.sleep(for: .milliseconds(700))  // xterm draws its text after it maps
        let path = NSTemporaryDirectory() + "ocr-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #require(try screen.run("import", ["-window", "root", path]).status == 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A screenshot of a real terminal showing an error, read by tesseract in the worker.
    @Test func screenshotsAreReadByOCR() async throws {
        let world = try await World.make()
        let png = try await terminalScreenshot(["ERROR: upstream request timeout after 30s (gateway 504)", "retrying payment service"])
        let shot = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/attachments?name=shot.png&origin=screenshot",
                                                body: .bytes(ByteBuffer(bytes: png)))
        #expect(shot.status == 201, "\(shot.text)")
        let id = try #require(shot.json["id"] as? String)
        let facts = try await textFacts(world.carol, id)
        #expect(facts["state"] as? String == "done", "\(facts)")
        #expect(try await search(world.carol, room: world.room, "\"gateway 504\" type:screenshot") == ["shot.png"])
        #expect(try await search(world.carol, room: world.room, "timeout payment") == ["shot.png"])
        let text = try await world.carol.request(.GET, "/v1/attachments/\(id)/text").json["text"] as? String
        #expect(text?.contains("upstream request timeout") == true, "\(text ?? "")")
    }

    /// An image not sent as a screenshot is read by OCR when its thumbnail job finds it looks like text (a terminal
    /// full of lines); a photo is not read at all. With `ocr = off` nothing is measured or read.
    @Test func imagesThatLookLikeTextAreReadByOCR() async throws {
        let license = try String(contentsOfFile: Self.license, encoding: .utf8).split(separator: "\n").prefix(24).map(String.init)
        let png = try await terminalScreenshot(["deploy failed: certificate expired for api.example.net",
                                                "rollback finished in 41s"] + license, columns: 150, rows: 34)
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        for ocr in ["on", "off"] {
            let world = try await World.make(config: ["ocr": ocr])
            let terminal = try await upload(world.fred, png, room: world.room, name: "terminal.png")
            let picture = try await upload(world.fred, photo, room: world.room, name: "dune.jpg")
            for id in [terminal, picture] {
                let state = try await thumbnailState(world.carol, id)
                #expect(state == "ready", "\(id): \(state)")
            }
            let terminalText = try await textFacts(world.carol, terminal)
            let photoText = try await textFacts(world.carol, picture)
            #expect(photoText["state"] as? String == "none", "a photo is not read: \(photoText)")
            if ocr == "on" {
                #expect(terminalText["state"] as? String == "done", "\(terminalText)")
                #expect(try await search(world.carol, room: world.room, "\"certificate expired\"") == ["terminal.png"])
                #expect(try await search(world.carol, room: world.room, "rollback type:screenshot") == [],
                        "read as text, but not sent as a screenshot")
            } else {
                #expect(terminalText["state"] as? String == "none", "\(terminalText)")
                #expect(try await search(world.carol, room: world.room, "certificate") == [])
            }
        }
    }

    /// The attachment's thumbnail state once it has left `pending`, within 30 s.
    private func thumbnailState(_ api: API, _ id: String) async throws -> String? {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let facts = try await api.request(.GET, "/v1/attachments/\(id)").json["thumbnail"] as? [String: Any]
            let state = facts?["state"] as? String
            if state != "pending" || ContinuousClock.now > deadline { return state }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A result found by what the file says carries the passage, the matched words marked at UTF-16 offsets; one found
    /// by its name carries none.
    @Test func resultsShowThePassageTheyWereFoundBy() async throws {
        let world = try await World.make()
        let license = try await upload(world.carol, Array(try Data(contentsOf: URL(fileURLWithPath: Self.license))),
                                       room: world.room, name: "quokka.txt")
        #expect(try await textFacts(world.carol, license)["state"] as? String == "done")
        for path in ["/v1/rooms/\(world.room)/attachments", "/v1/attachments"] {
            let reply = try await world.fred.request(.GET, path + "?q=%22installation+information%22")
            let item = try #require((reply.json["items"] as? [[String: Any]])?.first, "\(reply.text)")
            let snippet = try #require(item["snippet"] as? [String: Any], "\(item)")
            let text = try #require(snippet["text"] as? String)
            let units = Array(text.utf16)
            let marked = (snippet["highlights"] as? [[String: Int]] ?? []).map {
                String(decoding: units[$0["start"]!..<($0["start"]! + $0["length"]!)], as: UTF16.self)
            }
            #expect(!marked.isEmpty && marked.allSatisfy { $0.lowercased() == "installation information" }, "\(marked) in \(text)")
            #expect(text.count < 600 && !text.contains("\n"), "\(text)")
        }
        let byName = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/attachments?q=quokka")
        let item = try #require((byName.json["items"] as? [[String: Any]])?.first, "\(byName.text)")
        #expect(item["snippet"] == nil, "\(item)")
    }

    /// `ocr = off`: screenshots are never queued for tesseract and say so (`none`, never `pending` for ever), on the
    /// upload's answer, in the room's page and on their text; documents are still read.
    @Test func ocrOffLeavesScreenshotsUnread() async throws {
        let world = try await World.make(config: ["ocr": "off"])
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let shot = try await world.fred.request(.POST, "/v1/rooms/\(world.room)/attachments?name=shot.jpg&origin=screenshot",
                                                body: .bytes(ByteBuffer(bytes: photo)))
        #expect(shot.status == 201 && (shot.json["text"] as? [String: Any])?["state"] as? String == "none", "\(shot.text)")
        let id = try #require(shot.json["id"] as? String)
        let license = try await upload(world.carol, Array(try Data(contentsOf: URL(fileURLWithPath: Self.license))),
                                       room: world.room, name: "license.txt")
        #expect(try await textFacts(world.carol, license)["state"] as? String == "done")
        let text = try await world.carol.request(.GET, "/v1/attachments/\(id)/text")
        #expect(text.status == 200 && text.json["state"] as? String == "none", "\(text.text)")
        let page = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]] ?? []
        let listed = page.first { $0["id"] as? String == id }
        #expect((listed?["text"] as? [String: Any])?["state"] as? String == "none", "\(page)")
        #expect((listed?["types"] as? [String])?.contains("screenshot") == true, "still a screenshot to type:screenshot")
    }

    @Test func textIsCappedAndReadOncePerStoredFile() async throws {
        let world = try await World.make(config: ["max_extract_bytes": "4KiB"])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.license)))
        let first = try await upload(world.carol, bytes, room: world.room, name: "terms.txt")
        let facts = try await textFacts(world.carol, first)
        #expect(facts["state"] as? String == "done" && facts["truncated"] as? Bool == true, "\(facts)")
        let text = try #require(try await world.carol.request(.GET, "/v1/attachments/\(first)/text").json["text"] as? String)
        #expect(text.utf8.count <= 4096 && text.utf8.count > 4000)
        #expect(bytes.starts(with: Array(text.utf8)), "the kept text is the file's start")
        #expect(try await search(world.carol, room: world.room, "\"29 June 2007\"") == ["terms.txt"], "from the start")
        #expect(try await search(world.carol, room: world.room, "lgpl") == [], "from past the cap")

        // The same bytes in another room: already read, so searchable there too, and by the same record.
        let other = try #require(try await world.carol.json(.POST, "/v1/rooms", ["name": "Legal"]).json["id"] as? String)
        let second = try await upload(world.carol, bytes, room: other, name: "copy.txt")
        #expect(try await textFacts(world.carol, second)["characters"] as? Int == facts["characters"] as? Int)
        #expect(try await search(world.carol, room: other, "\"29 June 2007\"") == ["copy.txt"])
        #expect(try await search(world.fred, room: world.room, "\"29 June 2007\"") == ["terms.txt"],
                "fred is not in Legal: only his room's copy shows")
    }
}
