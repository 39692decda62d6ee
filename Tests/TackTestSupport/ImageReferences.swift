import Foundation
import TackImage
import TackSpawn

/// Peak signal-to-noise ratio over the colour channels, in dB (99 for identical images).
public func psnr(_ a: RGBAImage, _ b: RGBAImage) -> Double {
    precondition(a.width == b.width && a.height == b.height, "PSNR of a \(a.width)x\(a.height) and a \(b.width)x\(b.height) image")
    var sum = 0.0
    for i in 0..<a.pixels.count where i % 4 != 3 {
        let d = Double(a.pixels[i]) - Double(b.pixels[i])
        sum += d * d
    }
    let mse = sum / Double(a.width * a.height * 3)
    return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
}

/// Pillow (the reference a Python shop would use) run as a separate program on the same files.
public enum Pillow {
    public static let python = "/usr/bin/python3"

    /// `source` resized with Pillow's LANCZOS (EXIF orientation applied first) to exactly width x height, as RGBA.
    public static func lanczos(_ source: String, width: Int, height: Int) throws -> RGBAImage {
        let output = NSTemporaryDirectory() + "pillow-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: output) }
        try run("""
            import sys
            from PIL import Image, ImageOps
            image = ImageOps.exif_transpose(Image.open(sys.argv[1])).convert("RGB")
            image.resize((int(sys.argv[2]), int(sys.argv[3])), Image.LANCZOS).save(sys.argv[4])
            """, [source, String(width), String(height), output])
        return try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: output))), limits: ImageLimits())
    }

    /// How much JPEG encoding alone costs: `image` against itself saved by Pillow at `quality`, in dB.
    public static func encodingLoss(_ image: RGBAImage, quality: Int) throws -> Double {
        let input = NSTemporaryDirectory() + "pillow-in-\(UUID().uuidString).png"
        let output = NSTemporaryDirectory() + "pillow-out-\(UUID().uuidString).png"
        defer { for path in [input, output] { try? FileManager.default.removeItem(atPath: path) } }
        try Data(try PNGCodec.encode(image)).write(to: URL(fileURLWithPath: input))
        try run("""
            import io, sys
            from PIL import Image
            buffer = io.BytesIO()
            Image.open(sys.argv[1]).convert("RGB").save(buffer, "JPEG", quality=int(sys.argv[2]))
            buffer.seek(0)
            Image.open(buffer).save(sys.argv[3])
            """, [input, String(quality), output])
        return psnr(image, try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: output))), limits: ImageLimits()))
    }

    /// Writes `source` enlarged to width x height as a progressive JPEG (libjpeg's standard scan script: the DC
    /// coefficients first, then the AC bands).
    public static func progressiveJPEG(_ source: String, width: Int, height: Int, to output: String) throws {
        try run("""
            import sys
            from PIL import Image
            image = Image.open(sys.argv[1]).convert("RGB").resize((int(sys.argv[2]), int(sys.argv[3])), Image.LANCZOS)
            image.save(sys.argv[4], "JPEG", quality=90, progressive=True)
            """, [source, String(width), String(height), output])
    }

    /// Writes `source` as a CMYK JPEG (Pillow stores Adobe-style inverted CMYK).
    public static func cmykJPEG(_ source: String, to output: String) throws {
        try run("""
            import sys
            from PIL import Image
            Image.open(sys.argv[1]).convert("CMYK").save(sys.argv[2], "JPEG", quality=95)
            """, [source, output])
    }

    /// Runs a Python script (Pillow importable) and returns what it printed, trimmed.
    public static func evaluate(_ script: String, _ arguments: [String]) throws -> String {
        try run(script, arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    private static func run(_ script: String, _ arguments: [String]) throws -> String {
        let err = Pipe(), out = Pipe()
        let process = try ChildProcess.run(python, ["-c", script] + arguments, input: .null, output: .pipe(out), error: .pipe(err))
        let watchdog = Watchdog(process, limit: .seconds(120), name: "python3 (Pillow)")
        // Output first (a full pipe would block the script), then errors; both are small here.
        let printed = out.fileHandleForReading.readDataToEndOfFile()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try watchdog.finish()
        guard process.terminationStatus == 0 else {
            throw SupportError("Pillow failed: \(String(decoding: message, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }
}

/// Real photos shipped by Debian's mate-backgrounds: baseline and progressive JPEGs of 1600-2560 px.
public enum RealPhotos {
    public static let folder = "/usr/share/backgrounds/mate/nature"

    public static var all: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".jpg") }.sorted()
            .map { "\(folder)/\($0)" }
    }
}

