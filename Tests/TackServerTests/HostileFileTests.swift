import Foundation
import Testing

/// Files made to hurt: each upload is stored or refused with a clear 4xx, each thumbnail is made or refused with
/// one, nothing answers 5xx or crashes tackd, and tackd's memory stays bounded throughout.
@Suite(.timeLimit(.minutes(5))) struct HostileFileTests {
    /// Writes the hostile files with Pillow and plain bytes into `folder`; returns their names.
    func makeFiles(in folder: String) throws -> [String] {
        let photo = "/usr/share/backgrounds/mate/nature/Wood.jpg"
        let script = """
            import io, os, struct, sys, zlib
            from PIL import Image
            out = sys.argv[1]
            def save(name, data):
                open(os.path.join(out, name), "wb").write(data)
            photo = open("\(photo)", "rb").read()
            small = Image.open(io.BytesIO(photo)).convert("RGB").resize((640, 400))
            buf = io.BytesIO(); small.save(buf, "JPEG", quality=85); jpeg = buf.getvalue()
            buf = io.BytesIO(); small.save(buf, "PNG"); png = buf.getvalue()
            # Truncated and corrupted real files.
            for cut in (2, 20, 200, len(jpeg) // 2, len(jpeg) - 2):
                save(f"cut-{cut}.jpg", jpeg[:cut])
            for cut in (8, 33, 100, len(png) // 2, len(png) - 12):
                save(f"cut-{cut}.png", png[:cut])
            flipped = bytearray(jpeg)
            for i in range(300, len(flipped), 997): flipped[i] ^= 0x5A
            save("flipped.jpg", bytes(flipped))
            flipped = bytearray(png)
            for i in range(100, len(flipped), 997): flipped[i] ^= 0x5A
            save("flipped.png", bytes(flipped))
            save("empty.png", b"")
            # Huge dimensions in tiny files: 1-bit bombs (wide and tall), and a header claiming 10^10 pixels.
            Image.new("1", (311526, 321)).save(os.path.join(out, "bomb-wide.png"), optimize=True)
            Image.new("1", (321, 311526)).save(os.path.join(out, "bomb-tall.png"), optimize=True)
            def chunk(kind, data):
                return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
            header = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
            save("claims-huge.png", b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\\0" * 1000)) + chunk(b"IEND", b""))
            # Kinds that are valid and unusual.
            small.convert("CMYK").save(os.path.join(out, "cmyk.jpg"), "JPEG")
            small.convert("P", palette=Image.ADAPTIVE).save(os.path.join(out, "palette.png"))
            small.convert("LA").save(os.path.join(out, "gray-alpha.png"))
            Image.new("I;16", (300, 200), 40000).save(os.path.join(out, "sixteen.png"))
            small.save(os.path.join(out, "progressive.jpg"), "JPEG", progressive=True)
            # EXIF whose IFD offset points past the end of the segment, and one whose IFD points at itself.
            def with_exif(tiff):
                app1 = b"Exif\\0\\0" + tiff
                return jpeg[:2] + b"\\xff\\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]
            save("exif-far.jpg", with_exif(b"MM\\0\\x2a" + struct.pack(">I", 0x7ffffff0)))
            loop = b"MM\\0\\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + struct.pack(">HHII", 0x0112, 3, 1, 0x00060000) + struct.pack(">I", 8)
            save("exif-loop.jpg", with_exif(loop))
            print("\\n".join(sorted(os.listdir(out))))
            """
        let (status, output) = try runProgram("/usr/bin/python3", ["-c", script, folder])
        guard status == 0 else { throw HarnessError("could not make the hostile files: \(output)") }
        return output.split(separator: "\n").map(String.init)
    }

    @Test func hostileImagesGetCleanAnswersAndBoundedMemory() async throws {
        let folder = NSTemporaryDirectory() + "tack-hostile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let names = try makeFiles(in: folder)
        #expect(names.count >= 20)
        let world = try await World.make(config: ["thumbnail_sizes": "320,64,800"])
        var outcomes: [String: String] = [:]
        for name in names {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)")))
            let upload = try await world.fred.upload(bytes, room: world.room, name: name)
            #expect(upload.status < 500, "\(name): upload \(upload.status) \(upload.text)")
            guard upload.status == 201, let id = upload.json["id"] as? String else {
                outcomes[name] = "upload \(upload.status) \(upload.errorCode ?? "")"
                continue
            }
            var answers: [String] = []
            for query in ["size=320", "size=320&method=crop", "size=64&method=crop"] {
                let thumbnail = try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?\(query)")
                #expect(thumbnail.status == 200 || (400..<500).contains(thumbnail.status),
                        "\(name) \(query): \(thumbnail.status) \(thumbnail.text)")
                if thumbnail.status != 200 {
                    #expect(thumbnail.errorCode != nil, "\(name): a refusal is a JSON error")
                }
                answers.append("\(thumbnail.status)")
            }
            outcomes[name] = answers.joined(separator: ",")
        }
        // Valid unusual kinds are thumbnailed, not refused.
        for name in ["cmyk.jpg", "palette.png", "gray-alpha.png", "sixteen.png", "progressive.jpg", "exif-far.jpg",
                     "exif-loop.jpg", "bomb-wide.png", "bomb-tall.png"] {
            #expect(outcomes[name] == "200,200,200", "\(name): \(outcomes[name] ?? "missing")")
        }
        #expect(outcomes["claims-huge.png"]?.hasPrefix("415") == true, "\(outcomes["claims-huge.png"] ?? "")")
        // Still serving, and its memory never went near what the bombs decode to (311526 x 321 RGBA floats is 1.6 GB).
        #expect(try await API(base: world.tackd.base, token: nil).request(.GET, "/healthz").status == 200)
        let peak = try #require(world.tackd.peakResidentBytes())
        #expect(peak < 300 << 20, "tackd peaked at \(peak >> 20) MiB; outcomes \(outcomes)")
    }

    @Test(arguments: ["\u{202E}gpj.exe", "a\u{0}b.png", "zero\u{200B}width.png", "e\u{301}.png"])
    func namesWithUnicodeTricks(_ name: String) async throws {
        let world = try await World.make()
        let reply = try await world.fred.upload([1, 2, 3], room: world.room, name: name)
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .format || $0.value < 0x20 }) {
            #expect(reply.status == 400, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(reply.errorCode == "invalid_name")
        } else {
            #expect(reply.status == 201)
            #expect(reply.json["name"] as? String == name.precomposedStringWithCanonicalMapping, "stored in NFC")
        }
    }
}
