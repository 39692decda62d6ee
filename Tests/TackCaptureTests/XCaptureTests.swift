import CX11
import Foundation
import TackTestSupport
import Testing
@testable import TackCapture

/// Captures checked pixel by pixel against what our own X client painted, on real Xvfb servers.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct XCaptureTests {
    /// A background, and three rectangles whose edges the checks probe from both sides.
    static func paintPattern(_ painter: XPainter, width: Int, height: Int) {
        painter.fill(0, 0, width, height, 0, 0, 255)
        painter.fill(10, 20, 100, 50, 255, 0, 0)
        painter.fill(300, 200, 40, 40, 0, 255, 0)
        painter.fill(width - 30, height - 70, 30, 70, 255, 255, 255)
        painter.show()
    }

    /// The colour `paintPattern` leaves at (x, y) of a `width` x `height` screen.
    static func patternColour(_ x: Int, _ y: Int, width: Int, height: Int) -> RGB {
        if x >= width - 30 && y >= height - 70 { return RGB(255, 255, 255) }
        if (300..<340).contains(x) && (200..<240).contains(y) { return RGB(0, 255, 0) }
        if (10..<110).contains(x) && (20..<70).contains(y) { return RGB(255, 0, 0) }
        return RGB(0, 0, 255)
    }

    /// Every pixel of `shot`, taken at `offset` of a `width` x `height` screen, against the painted pattern.
    static func expectPattern(_ shot: Screenshot, offset: Point = Point(x: 0, y: 0), width: Int = 640, height: Int = 480,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        var wrong: [String] = []
        for y in 0..<shot.height {
            for x in 0..<shot.width {
                let expected = patternColour(x + offset.x, y + offset.y, width: width, height: height)
                if shot.rgb(x, y) != expected { wrong.append("(\(x),\(y)) \(shot.rgb(x, y)) not \(expected)") }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of \(shot.width * shot.height) pixels differ: \(wrong.prefix(5))",
                sourceLocation: sourceLocation)
    }

    @Test(arguments: [24, 16, 30])
    func wholeScreenAtEveryDepth(depth: Int) throws {
        let screen = try VirtualScreen(width: 640, height: 480, depth: depth)
        let painter = try XPainter(screen.display)
        Self.paintPattern(painter, width: 640, height: 480)
        let connection = try XConnection(name: screen.display)
        #expect(connection.rootDepth == depth)
        let capture = try ScreenCapturer(connection: connection).capture(.screen)
        #expect(capture.shot.width == 640 && capture.shot.height == 480)
        #expect(capture.area == Rect(x: 0, y: 0, width: 640, height: 480))
        Self.expectPattern(capture.shot)
    }

    @Test func regionsAreExactAndClamped() throws {
        let screen = try VirtualScreen()
        Self.paintPattern(try XPainter(screen.display), width: 640, height: 480)
        let capturer = ScreenCapturer(connection: try XConnection(name: screen.display))
        let region = try capturer.capture(.region(GeometryParser.parse("50x50+295+195")))
        #expect(region.shot.width == 50 && region.shot.height == 50)
        Self.expectPattern(region.shot, offset: Point(x: 295, y: 195))
        #expect(region.shot.rgb(5, 5) == RGB(0, 255, 0))
        #expect(region.shot.rgb(4, 4) == RGB(0, 0, 255))
        #expect(region.shot.rgb(44, 44) == RGB(0, 255, 0))
        #expect(region.shot.rgb(45, 44) == RGB(0, 0, 255))
        // Hanging over the bottom-right corner: clamped to what is on screen.
        let corner = try capturer.capture(.region(Rect(x: 620, y: 460, width: 100, height: 100)))
        #expect(corner.area == Rect(x: 620, y: 460, width: 20, height: 20))
        #expect(corner.shot.rgb(19, 19) == RGB(255, 255, 255))
        #expect(throws: CaptureError.self) { try capturer.capture(.region(Rect(x: 640, y: 0, width: 10, height: 10))) }
    }

    /// Without MIT-SHM (an X server across a network, or one that disables it) captures take the plain XGetImage
    /// path, and are just as exact.
    @Test func withoutSharedMemoryThePlainPathIsExact() throws {
        let screen = try VirtualScreen(extraArguments: ["-extension", "MIT-SHM"])
        Self.paintPattern(try XPainter(screen.display), width: 640, height: 480)
        let connection = try XConnection(name: screen.display)
        #expect(XShmQueryExtension(connection.display) == 0, "the server offers no MIT-SHM")
        let capturer = ScreenCapturer(connection: connection)
        Self.expectPattern(try capturer.capture(.screen).shot)
        Self.expectPattern(try capturer.capture(.region(Rect(x: 290, y: 190, width: 70, height: 60))).shot,
                           offset: Point(x: 290, y: 190))
    }

    @Test func windowsByIdIncludingA32BitARGBWindow() throws {
        let screen = try VirtualScreen()
        let painter = try XPainter(screen.display)
        Self.paintPattern(painter, width: 640, height: 480)
        let plain = try painter.window(x: 50, y: 300, width: 80, height: 60, argb: 0xFFFFFF00)
        let argb = try painter.window(x: 400, y: 50, width: 64, height: 32, argb: 0xFF00FFFF, depth: 32)
        let capturer = ScreenCapturer(connection: try XConnection(name: screen.display))

        let yellow = try capturer.capture(.window(String(plain)))
        #expect(yellow.area == Rect(x: 50, y: 300, width: 80, height: 60))
        #expect(yellow.shot.rgb(0, 0) == RGB(255, 255, 0) && yellow.shot.rgb(79, 59) == RGB(255, 255, 0))

        let cyan = try capturer.capture(.window(String(format: "0x%lx", argb)))
        #expect(cyan.shot.width == 64 && cyan.shot.height == 32)
        #expect(cyan.shot.rgb(10, 10) == RGB(0, 255, 255))

        #expect(throws: CaptureError.self) { try capturer.capture(.window("0x7fffff")) }
        #expect(throws: CaptureError.self) { try capturer.capture(.window("active")) }
        #expect(throws: CaptureError.self) { try capturer.capture(.window("twelve")) }
    }

    /// Recipe A of the multi-monitor notes: one 3200x1080 framebuffer, two RandR monitors of different sizes.
    @Test func monitorsOfDifferentSizesHaveTheirOffsetsAndDeadAreasAreBlack() throws {
        let screen = try VirtualScreen(width: 3200, height: 1080)
        #expect(try screen.run("xrandr", ["--setmonitor", "*LEFT", "1920/508x1080/286+0+0", "screen"]).status == 0)
        #expect(try screen.run("xrandr", ["--setmonitor", "RIGHT", "1280/338x1024/270+1920+0", "none"]).status == 0)
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 3200, 1080, 255, 255, 255)
        painter.fill(1920, 0, 10, 10, 255, 0, 0)
        painter.fill(1919, 0, 1, 10, 0, 255, 0)
        painter.show()
        let connection = try XConnection(name: screen.display)
        let monitors = connection.monitors()
        #expect(monitors == [
            Monitor(name: "LEFT", rect: Rect(x: 0, y: 0, width: 1920, height: 1080), isPrimary: true),
            Monitor(name: "RIGHT", rect: Rect(x: 1920, y: 0, width: 1280, height: 1024), isPrimary: false),
        ])
        let capturer = ScreenCapturer(connection: connection)
        for selector in ["RIGHT", "1"] {
            let right = try capturer.capture(.monitor(selector))
            #expect(right.area == Rect(x: 1920, y: 0, width: 1280, height: 1024))
            #expect(right.shot.rgb(0, 0) == RGB(255, 0, 0) && right.shot.rgb(10, 0) == RGB(255, 255, 255))
        }
        let left = try capturer.capture(.monitor("primary"))
        #expect(left.shot.width == 1920 && left.shot.rgb(1919, 0) == RGB(0, 255, 0))
        // The whole screen: the strip under RIGHT that no monitor shows is black, not the white painted there.
        let whole = try capturer.capture(.screen)
        #expect(whole.shot.rgb(1920, 1023) == RGB(255, 255, 255))
        #expect(whole.shot.rgb(1920, 1024) == RGB(0, 0, 0))
        #expect(whole.shot.rgb(3199, 1079) == RGB(0, 0, 0))
        #expect(whole.shot.rgb(1919, 1079) == RGB(255, 255, 255))
        #expect(throws: CaptureError.self) { try capturer.capture(.monitor("HDMI-9")) }
    }

    @Test func cursorIsCompositedWhereThePointerIs() throws {
        let screen = try VirtualScreen()
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 640, 480, 0, 0, 255)
        painter.show()
        painter.warpPointer(to: 200, 150)
        let capturer = ScreenCapturer(connection: try XConnection(name: screen.display))
        let area = Rect(x: 170, y: 120, width: 60, height: 60)
        let plain = try capturer.capture(.region(area))
        let withCursor = try capturer.capture(.region(area), cursor: true)
        #expect(plain.shot.pixels.enumerated().allSatisfy { $0.offset % 4 == 3 || $0.element == ($0.offset % 4 == 0 ? 255 : 0) })
        // The server's own account of the cursor, read here through XFixes independently of the capturer: its image,
        // its hotspot, and where the pointer is.
        let display = try #require(XOpenDisplay(screen.display))
        defer { XCloseDisplay(display) }
        var eventBase: Int32 = 0, errorBase: Int32 = 0
        try #require(XFixesQueryExtension(display, &eventBase, &errorBase) != 0)
        let image = try #require(XFixesGetCursorImage(display))
        defer { XFree(image) }
        let cursor = image.pointee
        #expect(cursor.x == 200 && cursor.y == 150, "the pointer is where it was put")
        // Every pixel of the region, against the cursor's premultiplied ARGB laid over the blue with its hotspot on
        // the pointer: the image at exactly its place, and nothing anywhere else.
        let left = 200 - Int(cursor.xhot) - area.x, top = 150 - Int(cursor.yhot) - area.y
        var covered = 0, wrong: [String] = []
        for y in 0..<60 {
            for x in 0..<60 {
                let cx = x - left, cy = y - top
                var expected = RGB(0, 0, 255)
                if cx >= 0, cy >= 0, cx < Int(cursor.width), cy < Int(cursor.height) {
                    let argb = UInt32(truncatingIfNeeded: cursor.pixels[cy * Int(cursor.width) + cx])
                    let alpha = argb >> 24
                    if alpha > 0 {
                        covered += 1
                        expected = RGB(UInt8(argb >> 16 & 0xFF), UInt8(argb >> 8 & 0xFF),
                                       UInt8(min(255, (argb & 0xFF) + (255 * (255 - alpha) + 127) / 255)))
                    }
                }
                if withCursor.shot.rgb(x, y) != expected { wrong.append("(\(x),\(y)) \(withCursor.shot.rgb(x, y)) not \(expected)") }
            }
        }
        #expect(covered >= 20, "the cursor's image falls inside the region (\(covered) pixels)")
        #expect(wrong.isEmpty, "\(wrong.count) pixels differ: \(wrong.prefix(5))")
    }

    @Test func noDisplayIsAClearError() {
        #expect(throws: CaptureError.self) { try XConnection(name: ":987") }
        #expect(throws: CaptureError.self) { try XConnection(name: "") }
    }
}
