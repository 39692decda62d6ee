import Foundation
import TackImage
import TackSpawn
import TackTestSupport
import Testing

/// A thumbnail as served: JPEG for an opaque picture (a PNG only where there is transparency to keep).
private func decode(_ bytes: [UInt8]) throws -> RGBAImage {
    bytes.starts(with: [0xFF, 0xD8]) ? try JPEGCodec.decode(bytes, limits: ImageLimits()) : try PNGCodec.decode(bytes, limits: ImageLimits())
}

/// The mean difference per colour channel over the pixels two pictures share.
private func meanDifference(_ a: RGBAImage, _ b: RGBAImage) -> Double {
    let width = min(a.width, b.width), height = min(a.height, b.height)
    var sum = 0
    for y in 0..<height {
        for x in 0..<width {
            let p = a.pixel(x, y), q = b.pixel(x, y)
            sum += (0..<3).map { abs(Int(p[$0]) - Int(q[$0])) }.reduce(0, +)
        }
    }
    return Double(sum) / Double(width * height * 3)
}

/// PDFs get thumbnails of their first page, rendered by poppler in the `tackd preview` worker and scaled by tackd's
/// own thumbnailer; the PDFs are written by a real program (ReportLab), and the picture is checked against
/// poppler's own command-line render of the same page.
@Suite(.timeLimit(.minutes(5))) struct PDFPreviewTests {
    /// Page 1: red over blue, a black stripe on the left; page 2: all green (it must not show).
    static let twoPages = """
        from reportlab.pdfgen import canvas
        from reportlab.lib.pagesizes import A4
        c = canvas.Canvas(sys.argv[1], pagesize=A4); w, h = A4
        c.setFillColorRGB(1, 0, 0); c.rect(0, h / 2, w, h / 2, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 1); c.rect(0, 0, w, h / 2, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0); c.rect(0, 0, w / 8, h, stroke=0, fill=1)
        c.showPage()
        c.setFillColorRGB(0, 1, 0); c.rect(0, 0, w, h, stroke=0, fill=1); c.save()
        """

    @Test func theFirstPageIsTheThumbnail() async throws {
        let world = try await World.make()
        // Programs run off the cooperative pool: a test blocking one of its two threads stalls every other test.
        let pdf = try await offThePool { try Documents.write("pdf", Self.twoPages) }
        let uploaded = try await world.carol.upload(pdf, room: world.room, name: "layout.pdf")
        let id = try #require(uploaded.json["id"] as? String, "\(uploaded.status) \(uploaded.text)")

        let reply = try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(reply.status == 200, "\(reply.text)")
        let thumbnail = try decode(reply.body)
        // A4 is 595 x 842 points: 226 x 320.
        #expect(thumbnail.height == 320 && abs(thumbnail.width - 226) <= 1, "\(thumbnail.width)x\(thumbnail.height)")

        // poppler's own render of page 1 at the same size, by the program a person would use.
        let folder = NSTemporaryDirectory() + "pdf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(pdf).write(to: URL(fileURLWithPath: "\(folder)/layout.pdf"))
        let rendered = try await offThePool {
            try runProgram("/usr/bin/pdftoppm", ["-png", "-singlefile", "-scale-to", "320", "\(folder)/layout.pdf", "\(folder)/page"])
        }
        #expect(rendered.status == 0, "\(rendered.output)")
        let reference = try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/page.png"))), limits: ImageLimits())
        let mean = meanDifference(thumbnail, reference)
        #expect(mean < 6, "mean difference from pdftoppm's render per channel: \(mean)")
        // The layout, where it is unambiguous: red top right, blue bottom right, black left; no page-2 green.
        #expect(thumbnail.pixel(180, 40)[0] > 200 && thumbnail.pixel(180, 40)[2] < 50)
        #expect(thumbnail.pixel(180, 280)[2] > 200 && thumbnail.pixel(180, 280)[0] < 50)
        #expect(thumbnail.pixel(5, 160)[0] < 40 && thumbnail.pixel(5, 160)[1] < 40)

        // Cropped to a square, from the same page.
        let square = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=64&method=crop")
        let cropped = try decode(square.body)
        #expect(square.status == 200 && cropped.width == 64 && cropped.height == 64)

        let facts = try await world.carol.request(.GET, "/v1/attachments/\(id)").json
        #expect((facts["thumbnail"] as? [String: Any])?["state"] as? String == "ready", "\(facts)")
        #expect(facts["width"] == nil || facts["width"] is NSNull, "a PDF has no size in pixels: \(facts)")
        #expect(facts["pages"] as? Int == 2, "pdfinfo's count: \(facts)")
        // Others than the room's members get nothing.
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 404)
    }

    /// A PDF cut short and one whose page tree loops: a failed state with poppler's reason, tackd unaffected.
    @Test func brokenPDFsFailWithTheirReason() async throws {
        let world = try await World.make()
        let whole = try await offThePool { try Documents.write("pdf", Self.twoPages) }
        let cut = try #require(try await world.carol.upload(Array(whole.prefix(300)), room: world.room, name: "cut.pdf").json["id"] as? String)
        let looping = Array("""
            %PDF-1.4
            1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
            2 0 obj << /Type /Pages /Kids [2 0 R] /Count 1000000000 >> endobj
            trailer << /Root 1 0 R >>
            %%EOF
            """.utf8)
        let loop = try #require(try await world.carol.upload(looping, room: world.room, name: "loop.pdf").json["id"] as? String)
        for id in [cut, loop] {
            let reply = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
            #expect(reply.status == 415 && reply.errorCode == "thumbnail_failed", "\(reply.status) \(reply.text)")
            let state = try await world.carol.request(.GET, "/v1/attachments/\(id)").json["thumbnail"] as? [String: Any]
            #expect(state?["state"] as? String == "failed" && (state?["reason"] as? String)?.contains("pdftoppm") == true, "\(String(describing: state))")
        }
        #expect(try await world.carol.request(.GET, "/healthz").status == 200, "tackd is unaffected")
    }
}

/// Videos get thumbnails of a frame three seconds in (the first frame of a shorter one), taken by ffmpeg in the
/// `tackd preview` worker; the videos come from ffmpeg's own test source (lavfi `testsrc`), and the picture is
/// checked against the frame the `ffmpeg` command takes.
@Suite(.timeLimit(.minutes(5))) struct VideoPreviewTests {
    /// `seconds` of testsrc at 640x360, 10 frames a second, encoded with `codec`.
    func video(_ ext: String, _ codec: [String], seconds: Int, in folder: String) async throws -> String {
        let path = "\(folder)/testsrc-\(seconds)s.\(ext)"
        let made = try await offThePool { try runProgram("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                                                      "testsrc=size=640x360:rate=10:duration=\(seconds)"] + codec + ["-pix_fmt", "yuv420p", path]) }
        guard made.status == 0 else { throw HarnessError("ffmpeg could not make \(path): \(made.output)") }
        return path
    }

    /// What the ffmpeg command a person would use takes at `seconds`, scaled to 320 px wide.
    func frame(of video: String, at seconds: Int, in folder: String) async throws -> RGBAImage {
        let path = "\(folder)/frame-\(seconds).png"
        let taken = try await offThePool { try runProgram("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-ss", String(seconds), "-i", video,
                                                       "-frames:v", "1", "-vf", "scale=320:-1", "-y", path]) }
        guard taken.status == 0 else { throw HarnessError("ffmpeg could not take a frame: \(taken.output)") }
        return try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))), limits: ImageLimits())
    }

    @Test func aFrameThreeSecondsInIsTheThumbnail() async throws {
        let world = try await World.make()
        let folder = NSTemporaryDirectory() + "video-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // With B-frames, as most encoders write them: the worker's decoder skips the unreferenced ones.
        let mp4 = try await video("mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "3"], seconds: 5, in: folder)
        let uploaded = try await world.carol.upload(Array(try Data(contentsOf: URL(fileURLWithPath: mp4))), room: world.room, name: "demo.mp4")
        let id = try #require(uploaded.json["id"] as? String, "\(uploaded.status) \(uploaded.text)")
        #expect(uploaded.json["contentType"] as? String == "video/mp4")

        let reply = try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(reply.status == 200, "\(reply.text)")
        let thumbnail = try decode(reply.body)
        #expect(thumbnail.width == 320 && thumbnail.height == 180, "\(thumbnail.width)x\(thumbnail.height)")
        // The frame at 3 s, not the first: closer to ffmpeg's own frame at 3 s than to its first frame.
        let atThree = meanDifference(thumbnail, try await frame(of: mp4, at: 3, in: folder))
        let atZero = meanDifference(thumbnail, try await frame(of: mp4, at: 0, in: folder))
        #expect(atThree < 8 && atThree < atZero, "mean difference per channel: \(atThree) from 3 s, \(atZero) from 0 s")
        let facts = try await world.carol.request(.GET, "/v1/attachments/\(id)").json
        #expect((facts["thumbnail"] as? [String: Any])?["state"] as? String == "ready", "\(facts)")
        // The video's own size, length and codec, as the ffmpeg that drew the frame read them: never the frame's 320x180.
        #expect(facts["width"] as? Int == 640 && facts["height"] as? Int == 360 && facts["codec"] as? String == "h264", "\(facts)")
        #expect(abs((facts["durationMs"] as? Int ?? 0) - 5000) <= 100, "\(facts)")
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 404)
    }

    /// A WebM of one second has no frame at 3 s: its first frame is the thumbnail. A cut MP4 fails with ffmpeg's
    /// reason, and tackd keeps answering.
    @Test func shortAndBrokenVideos() async throws {
        let world = try await World.make()
        let folder = NSTemporaryDirectory() + "video-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let webm = try await video("webm", ["-c:v", "libvpx", "-b:v", "300k", "-deadline", "realtime"], seconds: 1, in: folder)
        let short = try #require(try await world.carol.upload(Array(try Data(contentsOf: URL(fileURLWithPath: webm))),
                                                              room: world.room, name: "short.webm").json["id"] as? String)
        let reply = try await world.carol.request(.GET, "/v1/attachments/\(short)/thumbnail?size=320")
        #expect(reply.status == 200, "\(reply.text)")
        let first = try await frame(of: webm, at: 0, in: folder)
        #expect(meanDifference(try decode(reply.body), first) < 10)

        let mp4 = Array(try Data(contentsOf: URL(fileURLWithPath: try await video("mp4", ["-c:v", "libx264", "-preset", "ultrafast"], seconds: 2, in: folder))))
        let cut = try #require(try await world.carol.upload(Array(mp4.prefix(1500)), room: world.room, name: "cut.mp4").json["id"] as? String)
        let refused = try await world.carol.request(.GET, "/v1/attachments/\(cut)/thumbnail?size=320")
        #expect(refused.status == 415 && refused.errorCode == "thumbnail_failed", "\(refused.status) \(refused.text)")
        let state = try await world.carol.request(.GET, "/v1/attachments/\(cut)").json["thumbnail"] as? [String: Any]
        #expect(state?["state"] as? String == "failed" && (state?["reason"] as? String)?.contains("ffmpeg") == true, "\(String(describing: state))")
        #expect(try await world.carol.request(.GET, "/healthz").status == 200)
    }
}

/// Animated images show their first frame, HEIF photos their primary image, and recordings their waveform: made by
/// real programs (ffmpeg's own test sources, Pillow, libheif's encoder), checked against ffmpeg's first frame, the
/// photo itself, and where the sound is.
@Suite(.timeLimit(.minutes(5))) struct StillAndWaveformPreviewTests {
    func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "preview-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    func ffmpeg(_ arguments: [String]) async throws {
        let made = try await offThePool { try runProgram("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-y"] + arguments) }
        guard made.status == 0 else { throw HarnessError("ffmpeg \(arguments.joined(separator: " ")): \(made.output)") }
    }

    func picture(_ path: String) throws -> RGBAImage { try decode(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) }

    func thumbnail(_ world: World, _ path: String, name: String, type: String) async throws -> (id: String, RGBAImage) {
        let uploaded = try await world.carol.upload(Array(try Data(contentsOf: URL(fileURLWithPath: path))), room: world.room, name: name)
        let id = try #require(uploaded.json["id"] as? String, "\(uploaded.status) \(uploaded.text)")
        #expect(uploaded.json["contentType"] as? String == type)
        let reply = try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(reply.status == 200, "\(name): \(reply.status) \(reply.text)")
        return (id, try decode(reply.body))
    }

    @Test func animatedGIFsAndWebPsShowTheirFirstFrame() async throws {
        let world = try await World.make()
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // ffmpeg's test pattern moves: its first frame and its frame a second later differ.
        try await ffmpeg(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=5:duration=2", "\(folder)/moving.gif"])
        try await ffmpeg(["-i", "\(folder)/moving.gif", "-frames:v", "1", "\(folder)/first.png"])
        try await ffmpeg(["-ss", "1", "-i", "\(folder)/moving.gif", "-frames:v", "1", "\(folder)/later.png"])
        let (gif, shown) = try await thumbnail(world, "\(folder)/moving.gif", name: "moving.gif", type: "image/gif")
        #expect(shown.width == 320 && shown.height == 240, "\(shown.width)x\(shown.height)")
        let gifFacts = try await world.carol.request(.GET, "/v1/attachments/\(gif)").json
        #expect(gifFacts["width"] as? Int == 320 && gifFacts["height"] as? Int == 240 && gifFacts["codec"] as? String == "gif",
                "\(gifFacts)")
        let first = meanDifference(shown, try picture("\(folder)/first.png"))
        let later = meanDifference(shown, try picture("\(folder)/later.png"))
        #expect(first < 6 && first < later, "mean difference per channel: \(first) from the first frame, \(later) from a later one")
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(gif)/thumbnail?size=320").status == 404)

        // A WebP written by Pillow from that first frame.
        let wrote = try await offThePool { try runProgram("/usr/bin/python3", ["-c", """
            from PIL import Image; Image.open('\(folder)/first.png').convert('RGB').save('\(folder)/still.webp', quality=92)
            """]) }
        #expect(wrote.status == 0, "\(wrote.output)")
        let (_, webp) = try await thumbnail(world, "\(folder)/still.webp", name: "still.webp", type: "image/webp")
        #expect(meanDifference(webp, try picture("\(folder)/first.png")) < 6)
    }

    /// A real photo (Debian's mate-backgrounds) written as HEIC (x265) and AVIF (libaom) by libheif's own encoder:
    /// the thumbnail is the photo, in its true colours (a full-range image read as limited range would be washed
    /// out by far more than the bound), and the facts are the header's.
    @Test func heicAndAVIFPhotosShowTheirPrimaryImage() async throws {
        let world = try await World.make()
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let wrote = try await offThePool { try runProgram("/usr/bin/python3", ["-c", """
            from PIL import Image
            photo = Image.open('/usr/share/backgrounds/mate/nature/Aqua.jpg').convert('RGB').resize((640, 400), Image.LANCZOS)
            photo.save('\(folder)/photo.png'); photo.resize((320, 200), Image.LANCZOS).save('\(folder)/expected.png')
            Image.new('RGB', (320, 320), (250, 20, 20)).save('\(folder)/red.png')
            """]) }
        #expect(wrote.status == 0, "\(wrote.output)")
        // The photo at 16 bits a channel, for a 10-bit HEIC.
        try await ffmpeg(["-i", "\(folder)/photo.png", "-pix_fmt", "rgb48be", "\(folder)/photo16.png"])
        // Also: 10 bits a sample (heif-convert's Y4M would cut them), and a second, red picture beside the photo
        // (heif-convert decodes both; the primary is the photo).
        for (name, type, codec, flags, inputs) in [
            ("photo.heic", "image/heic", "hevc", ["-q", "90"], ["photo.png"]),
            ("photo.avif", "image/avif", "av1", ["-A", "-q", "80"], ["photo.png"]),
            ("deep.heic", "image/heic", "hevc", ["-q", "90", "-b", "10"], ["photo16.png"]),
            ("two.heic", "image/heic", "hevc", ["-q", "90"], ["photo.png", "red.png"]),
        ] {
            let encoded = try await offThePool {
                try runProgram("/usr/bin/heif-enc", flags + ["-o", "\(folder)/\(name)"] + inputs.map { "\(folder)/\($0)" })
            }
            #expect(encoded.status == 0, "\(encoded.output)")
            let (id, shown) = try await thumbnail(world, "\(folder)/\(name)", name: name, type: type)
            #expect(shown.width == 320 && shown.height == 200, "\(name): \(shown.width)x\(shown.height)")
            let difference = meanDifference(shown, try picture("\(folder)/expected.png"))
            #expect(difference < 4, "\(name): mean difference per channel from the photo: \(difference)")
            let facts = try await world.carol.request(.GET, "/v1/attachments/\(id)").json
            #expect(facts["width"] as? Int == 640 && facts["height"] as? Int == 400 && facts["codec"] as? String == codec,
                    "\(name): \(facts)")
            #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 404)
        }

        // The same HEIC claiming a 100,000 x 100,000 picture: refused by its header, before libheif allocates it.
        var heic = Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/photo.heic")))
        let ispe = try #require((0..<(heic.count - 4)).first { heic[$0..<($0 + 4)].elementsEqual("ispe".utf8) })
        for offset in [ispe + 8, ispe + 12] { heic.replaceSubrange(offset..<(offset + 4), with: [0x00, 0x01, 0x86, 0xA0]) }
        let huge = try #require(try await world.carol.upload(heic, room: world.room, name: "huge.heic").json["id"] as? String)
        let refused = try await world.carol.request(.GET, "/v1/attachments/\(huge)/thumbnail?size=320")
        #expect(refused.status == 415 && refused.errorCode == "thumbnail_failed" && refused.text.contains("max_image_pixels"),
                "\(refused.status) \(refused.text)")
        // Cut short after its header: libheif's own reason.
        let cut = Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/photo.heic")).prefix(3000))
        let truncated = try #require(try await world.carol.upload(cut, room: world.room, name: "cut.heic").json["id"] as? String)
        let failed = try await world.carol.request(.GET, "/v1/attachments/\(truncated)/thumbnail?size=320")
        #expect(failed.status == 415 && failed.text.contains("heif-convert"), "\(failed.status) \(failed.text)")
        let state = try await world.carol.request(.GET, "/v1/attachments/\(truncated)").json["thumbnail"] as? [String: Any]
        #expect(state?["state"] as? String == "failed", "\(String(describing: state))")
        #expect(try await world.carol.request(.GET, "/healthz").status == 200)
    }

    /// A second of silence, then a second of a loud tone, in five formats: the waveform's left half is bare paper,
    /// its right half a solid band.
    @Test func recordingsShowTheirWaveform() async throws {
        let world = try await World.make()
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = ["-f", "lavfi", "-i", "aevalsrc=if(gt(t\\,1)\\,0.9*sin(2*PI*440*t)\\,0):s=44100:d=2"]
        for (name, type, codec, probed) in [("tone.wav", "audio/wav", [String](), "pcm_s16le"), ("tone.flac", "audio/flac", [], "flac"),
                                            ("tone.ogg", "audio/ogg", ["-c:a", "libvorbis"], "vorbis"),
                                            ("tone.mp3", "audio/mpeg", ["-c:a", "libmp3lame"], "mp3"),
                                            ("tone.m4a", "audio/mp4", ["-c:a", "aac"], "aac")] {
            try await ffmpeg(source + codec + ["\(folder)/\(name)"])
            let (id, waves) = try await thumbnail(world, "\(folder)/\(name)", name: name, type: type)
            #expect(waves.width == 320 && waves.height == 80, "\(name): \(waves.width)x\(waves.height)")
            func inked(_ from: Double, _ to: Double) -> Double {
                var dark = 0, all = 0
                for x in Int(from * Double(waves.width))..<Int(to * Double(waves.width)) {
                    for y in 0..<waves.height {
                        let p = waves.pixel(x, y)
                        if (Int(p[0]) + Int(p[1]) + Int(p[2])) / 3 < 160 { dark += 1 }
                        all += 1
                    }
                }
                return Double(dark) / Double(all)
            }
            let quiet = inked(0.05, 0.40), loud = inked(0.60, 0.95)
            #expect(quiet < 0.05 && loud > 0.4, "\(name): \(quiet) of the silent half inked, \(loud) of the loud half")
            let facts = try await world.carol.request(.GET, "/v1/attachments/\(id)").json
            #expect((facts["thumbnail"] as? [String: Any])?["state"] as? String == "ready", "\(facts)")
            // Two seconds (an encoder's padding aside), its codec, and no size in pixels.
            #expect(abs((facts["durationMs"] as? Int ?? 0) - 2000) <= 120 && facts["codec"] as? String == probed
                    && facts["width"] == nil, "\(name): \(facts)")
        }
        // An MP3 that is its tag and nothing to play fails with ffmpeg's reason; tackd goes on.
        let empty = Array("ID3".utf8) + [4, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 64)
        let broken = try #require(try await world.carol.upload(empty, room: world.room, name: "empty.mp3").json["id"] as? String)
        let refused = try await world.carol.request(.GET, "/v1/attachments/\(broken)/thumbnail?size=320")
        #expect(refused.status == 415 && refused.errorCode == "thumbnail_failed", "\(refused.status) \(refused.text)")
        #expect(try await world.carol.request(.GET, "/healthz").status == 200)
    }
}
