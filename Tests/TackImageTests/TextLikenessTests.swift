import Foundation
import TackCore
import TackSpawn
import TackTestSupport
import Testing
@testable import TackImage

/// Which pictures tackd reads by OCR unasked. Text drawn by real programs looks like text: poppler's render of a
/// ReportLab page, a terminal and a two-pane chat drawn by Pillow in DejaVu fonts (as PNG and as a JPEG's noise).
/// Debian's photos, ffmpeg's test patterns and a logo on white do not.
@Suite struct TextLikenessTests {
    static let license = "/usr/share/common-licenses/GPL-3"

    /// Runs a Pillow script with the output path in `sys.argv[1]` and the license's lines in `lines`, then measures
    /// the file.
    private static func measure(_ ext: String, _ script: String) throws -> TextLikeness {
        let path = NSTemporaryDirectory() + "likeness-\(UUID().uuidString).\(ext)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Pillow.evaluate("""
            import sys
            from PIL import Image, ImageDraw, ImageFont
            lines = [l.strip() for l in open("\(Self.license)") if l.strip()]
            mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
            sans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

            """ + script, [path])
        return try Thumbnailer().textLikeness(ofFileAt: path)
    }

    static let terminal = """
        image = Image.new("RGB", (1280, 720), (30, 30, 30))
        draw = ImageDraw.Draw(image)
        font = ImageFont.truetype(mono, 14)
        for row in range(40):
            draw.text((6, 4 + 17 * row), lines[row][:150], font=font, fill=(220, 220, 220))

        """

    // Both run Pillow, ffmpeg and pdftoppm and decode real photos: seconds of blocking work, kept off the two
    // threads every test shares.
    @Test func textDrawnByRealProgramsLooksLikeText() async throws {
        for (name, likeness) in try await offThePool(Self.textPictures) {
            #expect(likeness.looksLikeText, "\(name): \(likeness)")
        }
    }

    @Test func photosPatternsAndShapesDoNot() async throws {
        let pictures = try await offThePool(Self.otherPictures)
        #expect(pictures.count >= 5 + 6, "mate-backgrounds' photos are missing: run scripts/setup")
        for (name, likeness) in pictures {
            #expect(!likeness.looksLikeText, "\(name): \(likeness)")
        }
    }

    private static func textPictures() throws -> [(String, TextLikeness)] {
        var pictures: [(String, TextLikeness)] = []
        pictures.append(("terminal PNG", try measure("png", Self.terminal + "image.save(sys.argv[1])\n")))
        pictures.append(("terminal JPEG q70", try measure("jpg", Self.terminal + "image.save(sys.argv[1], quality=70)\n")))
        // A chat: a grey sidebar of names at one pitch, messages on white at another, so rows never line up.
        pictures.append(("two panes", try measure("png", """
            image = Image.new("RGB", (1920, 1080), (255, 255, 255))
            draw = ImageDraw.Draw(image)
            draw.rectangle((0, 0, 300, 1080), fill=(242, 242, 245))
            small, body = ImageFont.truetype(sans, 13), ImageFont.truetype(sans, 16)
            for row in range(30):
                draw.text((16, 20 + 34 * row), lines[100 + row][:28], font=small, fill=(60, 60, 70))
            for row in range(45):
                draw.text((330, 12 + 23 * row), lines[200 + row], font=body, fill=(20, 20, 20))
            image.save(sys.argv[1])
            """)))
        // A document page as poppler draws it (a scan's worth of text, 100 dpi).
        let pdf = try Documents.write("pdf", """
            from reportlab.pdfgen import canvas
            lines = [l.strip() for l in open("\(Self.license)") if l.strip()]
            c = canvas.Canvas(sys.argv[1])
            for row in range(50): c.drawString(60, 800 - 15 * row, lines[row][:90])
            c.save()
            """)
        let folder = NSTemporaryDirectory() + "likeness-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(pdf).write(to: URL(fileURLWithPath: "\(folder)/page.pdf"))
        let render = try ChildProcess.run("/usr/bin/pdftoppm", ["-png", "-r", "100", "-singlefile", "\(folder)/page.pdf", "\(folder)/page"],
                                          input: .null, output: .null, error: .null)
        render.waitUntilExit()
        try #require(render.terminationStatus == 0)
        pictures.append(("PDF page", try Thumbnailer().textLikeness(ofFileAt: "\(folder)/page.png")))
        return pictures
    }

    private static func otherPictures() throws -> [(String, TextLikeness)] {
        var pictures: [(String, TextLikeness)] = []
        for photo in RealPhotos.all {
            pictures.append((photo, try Thumbnailer().textLikeness(ofFileAt: photo)))
        }
        let folder = NSTemporaryDirectory() + "likeness-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for pattern in ["testsrc2=size=1280x720", "smptehdbars=size=1280x720", "mandelbrot=size=1280x720", "rgbtestsrc=size=1280x720"] {
            let path = "\(folder)/\(pattern.prefix { $0 != "=" }).png"
            let ffmpeg = try ChildProcess.run("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", pattern,
                                                                  "-frames:v", "1", "-y", path], input: .null, output: .null, error: .null)
            ffmpeg.waitUntilExit()
            try #require(ffmpeg.terminationStatus == 0, "\(pattern)")
            pictures.append((pattern, try Thumbnailer().textLikeness(ofFileAt: path)))
        }
        pictures.append(("logo on white", try measure("png", """
            image = Image.new("RGB", (1200, 800), (255, 255, 255))
            draw = ImageDraw.Draw(image)
            draw.ellipse((350, 150, 850, 650), fill=(200, 30, 40))
            draw.rectangle((100, 680, 1100, 720), fill=(20, 20, 90))
            image.save(sys.argv[1])
            """)))
        pictures.append(("blank", try measure("png", "Image.new('RGB', (800, 600), (255, 255, 255)).save(sys.argv[1])\n")))
        pictures.append(("transparent", try measure("png", "Image.new('RGBA', (800, 600), (0, 0, 0, 0)).save(sys.argv[1])\n")))
        return pictures
    }

    /// The measures themselves, on pixels laid out by hand: what each one counts.
    @Test func measuresCountWhatTheySay() {
        // 100 x 40, white, with three lines of 2-pixel strokes, 6 rows tall, 10 rows apart, in the left strip.
        var image = RGBAImage(width: 100, height: 40, fill: (255, 255, 255, 255))
        var inked = 0
        for line in 0..<3 {
            for y in (4 + 12 * line)..<(10 + 12 * line) {
                for x in stride(from: 10, to: 90, by: 6) {
                    for dx in 0..<2 {
                        let i = (y * 100 + x + dx) * 4
                        image.pixels[i] = 0; image.pixels[i + 1] = 0; image.pixels[i + 2] = 0
                        inked += 1
                    }
                }
            }
        }
        let likeness = TextLikeness(image)
        #expect(likeness.textLines == 3)
        #expect(likeness.meanInkRun == 2)
        #expect(likeness.inkInLines == 1)
        #expect(likeness.inkShare == Double(inked) / 4000)
        #expect(likeness.backgroundShare == 1 - Double(inked) / 4000)
        #expect(!likeness.looksLikeText, "three lines are too few to call it text")
        #expect(TextLikeness(RGBAImage(width: 0, height: 0, pixels: [])) == TextLikeness(
            backgroundShare: 0, inkShare: 0, meanInkRun: 0, textLines: 0, inkInLines: 0))
    }
}
