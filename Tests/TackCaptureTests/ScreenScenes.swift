import Foundation
import TackTestSupport
import Testing
@testable import TackCapture

/// The kinds of screen people capture, put on a fresh 1280x720 virtual screen by real programs: a terminal full of
/// text on a flat desktop (few colours), and a photo beside smooth gradients (tens of thousands).
enum ScreenScene: CaseIterable {
    case text, photo

    /// The scene at `depth` bits, captured. The programs stay on screen until the returned value goes.
    func capture(depth: Int) throws -> (Screenshot, RealScreenshotTests.Programs) {
        let screen = try VirtualScreen(width: 1280, height: 720, depth: depth)
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 1280, 720, 40, 44, 52)
        let programs = RealScreenshotTests.Programs()
        switch self {
        case .text:
            try programs.launch(screen.display, "xterm", ["-geometry", "150x45+10+10", "-e", "ls -la /usr/share/doc | head -80; read line"])
            try #require(try screen.run("timeout", ["10", "xdotool", "search", "--sync", "--onlyvisible", "--class", "xterm"]).status == 0)
        case .photo:
            // A photo on the left, a grey ramp and a colour ramp on the right: every row different, no flat runs.
            for x in 0..<640 {
                let v = UInt8(x * 255 / 639)
                painter.fill(640 + x, 0, 1, 360, v, v, v)
                painter.fill(640 + x, 360, 1, 360, v, UInt8(255 - Int(v)), UInt8((x * 7) % 256))
            }
            painter.show()
            try programs.launch(screen.display, "display", ["-geometry", "+0+0", "-resize", "640x720!", "/usr/share/backgrounds/mate/nature/Aqua.jpg"])
            try #require(try screen.run("timeout", ["10", "xdotool", "search", "--sync", "--onlyvisible", "--class", "display"]).status == 0)
        }
        painter.show()
        Thread.sleep(forTimeInterval: 0.5)  // programs draw after they map
        let shot = try ScreenCapturer(connection: XConnection(name: screen.display)).capture(.screen).shot
        return (shot, programs)
    }
}

/// An image file's pixels as Pillow decodes them, in `mode` (RGB or RGBA).
func pillowPixels(_ path: String, mode: String) throws -> [UInt8] {
    _ = try Pillow.evaluate("""
        import sys
        from PIL import Image
        open(sys.argv[1] + ".raw", "wb").write(Image.open(sys.argv[1]).convert(sys.argv[2]).tobytes())
        """, [path, mode])
    defer { try? FileManager.default.removeItem(atPath: path + ".raw") }
    return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".raw")))
}

extension Screenshot {
    /// The top-left `width` x `height` of the capture as RGB bytes, row after row.
    func rgb(width: Int? = nil, height: Int? = nil) -> [UInt8] {
        let width = width ?? self.width, height = height ?? self.height
        return withUnsafeBytes { bgrx in
            var out = [UInt8]()
            out.reserveCapacity(width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let i = y * bytesPerRow + x * 4
                    out += [bgrx[i + 2], bgrx[i + 1], bgrx[i]]
                }
            }
            return out
        }
    }
}
