import Foundation
import TackImage
import TackSpawn
import TackTestSupport
import Testing
@testable import TackCapture

/// Screenshots of real programs (xterm listing files, xclock, xlogo) captured under Xvfb, then encoded and
/// thumbnailed the way a shared screenshot is.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct RealScreenshotTests {
    final class Programs {
        var processes: [ChildProcess] = []
        deinit { for process in processes { process.signal(SIGKILL); process.waitUntilExit() } }

        func launch(_ display: String, _ tool: String, _ arguments: [String]) throws {
            processes.append(try ChildProcess.run(
                "/usr/bin/env", [tool] + arguments,
                environment: ProcessInfo.processInfo.environment.merging(["DISPLAY": display]) { $1 },
                input: .null, output: .null, error: .null))
        }
    }

    func capturedDesktop() throws -> (VirtualScreen, Programs, Screenshot) {
        let screen = try VirtualScreen(width: 1920, height: 1080)
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 1920, 1080, 58, 110, 165)
        painter.show()
        let programs = Programs()
        try programs.launch(screen.display, "xterm", ["-geometry", "160x50+20+20", "-e", "ls -la /usr/share/doc | head -60; read line"])
        try programs.launch(screen.display, "xclock", ["-geometry", "300x300+1300+60", "-update", "60"])
        try programs.launch(screen.display, "xlogo", ["-geometry", "400x300+1300+500"])
        for name in ["xterm", "xclock", "xlogo"] {
            try #require(try screen.run("timeout", ["10", "xdotool", "search", "--sync", "--onlyvisible", "--class", name]).status == 0)
        }
        Thread.sleep(forTimeInterval: 0.5)   // the terminal draws its listing after it maps
        let shot = try ScreenCapturer(connection: XConnection(name: screen.display)).capture(.screen).shot
        return (screen, programs, shot)
    }

    @Test func screenshotsEncodeLosslesslyAndThumbnailLikePillow() throws {
        let (_, _, shot) = try capturedDesktop()
        let folder = NSTemporaryDirectory() + "shots-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let png = "\(folder)/desktop.png", jpeg = "\(folder)/desktop.jpg"
        for (path, format) in [(png, OutputFormat.png), (jpeg, .jpeg)] {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            defer { close(fd) }
            try shot.withUnsafeBytes {
                try ImageFileWriter.write($0, width: shot.width, height: shot.height, stride: shot.bytesPerRow, layout: .bgrx,
                                          format: format, to: fd)
            }
        }
        // PNG is lossless: every pixel comes back.
        let decoded = try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: png))), limits: ImageLimits())
        #expect(decoded.width == 1920 && decoded.height == 1080)
        // All 2,073,600 of them, straight from both buffers: the capture's BGRX rows and the decoded RGBA.
        let mismatches = decoded.pixels.withUnsafeBufferPointer { rgba in
            shot.withUnsafeBytes { bgrx in
                var count = 0
                for y in 0..<1080 {
                    let row = y * shot.bytesPerRow
                    for x in 0..<1920 {
                        let o = (y * 1920 + x) * 4, i = row + x * 4
                        if rgba[o] != bgrx[i + 2] || rgba[o + 1] != bgrx[i + 1] || rgba[o + 2] != bgrx[i] || rgba[o + 3] != 255 {
                            count += 1
                        }
                    }
                }
                return count
            }
        }
        #expect(mismatches == 0)
        // The picture has real content: text, a clock face, a logo, not one flat colour.
        #expect(Set(stride(from: 0, to: decoded.pixels.count, by: 4 * 97).map { decoded.pixels[$0] }).count > 3)
        let jpegDecoded = try JPEGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: jpeg))), limits: ImageLimits())
        #expect(psnr(jpegDecoded, decoded) > 30)

        for size in [320, 800] {
            let (ours, source) = try Thumbnailer().pixels(of: Array(try Data(contentsOf: URL(fileURLWithPath: png))), size: size, method: .scale)
            #expect(source.width == 1920 && ours.width == size)
            let reference = try Pillow.lanczos(png, width: ours.width, height: ours.height)
            #expect(psnr(ours, reference) >= 35, "\(size) px: \(psnr(ours, reference)) dB")
        }
    }
}
