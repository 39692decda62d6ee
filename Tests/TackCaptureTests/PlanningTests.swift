import Testing
@testable import TackCapture

@Suite struct GeometryTests {
    @Test(arguments: [
        ("800x600+10+20", Rect(x: 10, y: 20, width: 800, height: 600)),
        ("800x600", Rect(x: 0, y: 0, width: 800, height: 600)),
        ("1x1-5+7", Rect(x: -5, y: 7, width: 1, height: 1)),
        (" 1920X1080+1920+0\n", Rect(x: 1920, y: 0, width: 1920, height: 1080)),
    ])
    func parses(text: String, expected: Rect) throws {
        #expect(try GeometryParser.parse(text) == expected)
        #expect(try GeometryParser.parse(expected.description) == expected)
    }

    @Test(arguments: ["", "800", "800x", "x600", "800x600+10", "800x600+10+20+30", "0x600+0+0", "800x0", "-800x600+0+0",
                      "800x600 +0+0", "99999999x1"])
    func refusesMalformed(text: String) {
        #expect(throws: CaptureError.self) { try GeometryParser.parse(text) }
    }

    @Test func clampsToScreenAndRefusesOutside() throws {
        let screen = Rect(x: 0, y: 0, width: 1920, height: 1080)
        #expect(try CapturePlanner.clamp(Rect(x: 1800, y: 1000, width: 400, height: 400), to: screen, describing: "r")
                == Rect(x: 1800, y: 1000, width: 120, height: 80))
        #expect(try CapturePlanner.clamp(Rect(x: -10, y: -10, width: 20, height: 20), to: screen, describing: "r")
                == Rect(x: 0, y: 0, width: 10, height: 10))
        #expect(throws: CaptureError.self) {
            try CapturePlanner.clamp(Rect(x: 1920, y: 0, width: 10, height: 10), to: screen, describing: "r")
        }
    }
}

@Suite struct MonitorTests {
    let monitors = [
        Monitor(name: "DP-1", rect: Rect(x: 0, y: 0, width: 1920, height: 1080), isPrimary: false),
        Monitor(name: "HDMI-1", rect: Rect(x: 1920, y: 0, width: 1280, height: 1024), isPrimary: true),
    ]

    @Test func selectsByNameIndexPrimaryAndPointer() throws {
        let pointer = Point(x: 2000, y: 500)
        #expect(try MonitorSelector.select("DP-1", from: monitors, pointer: pointer).name == "DP-1")
        #expect(try MonitorSelector.select("1", from: monitors, pointer: pointer).name == "HDMI-1")
        #expect(try MonitorSelector.select("primary", from: monitors, pointer: pointer).name == "HDMI-1")
        #expect(try MonitorSelector.select("under-cursor", from: monitors, pointer: Point(x: 10, y: 10)).name == "DP-1")
        #expect(try MonitorSelector.select("under-cursor", from: monitors, pointer: pointer).name == "HDMI-1")
    }

    @Test func unknownMonitorsAreNamed() {
        #expect(throws: CaptureError.noSuchMonitor("there is no monitor 'VGA-1'; the monitors are: 0 DP-1, 1 HDMI-1")) {
            try MonitorSelector.select("VGA-1", from: monitors, pointer: Point(x: 0, y: 0))
        }
        #expect(throws: CaptureError.self) { try MonitorSelector.select("2", from: monitors, pointer: Point(x: 0, y: 0)) }
        // The pointer in the dead corner below the smaller monitor.
        #expect(throws: CaptureError.self) {
            try MonitorSelector.select("under-cursor", from: monitors, pointer: Point(x: 2000, y: 1050))
        }
    }

    @Test func uncoveredAreasOfAnLShapedLayout() {
        let holes = CoverageMask.uncovered(Rect(x: 0, y: 0, width: 3200, height: 1080), monitors: monitors)
        #expect(holes == [Rect(x: 1920, y: 1024, width: 1280, height: 56)])
        // A region wholly inside one monitor has no holes; the same region shifted into the gap has one.
        #expect(CoverageMask.uncovered(Rect(x: 100, y: 100, width: 50, height: 50), monitors: monitors).isEmpty)
        #expect(CoverageMask.uncovered(Rect(x: 3000, y: 1000, width: 200, height: 80), monitors: monitors)
                == [Rect(x: 0, y: 24, width: 200, height: 56)])
        #expect(CoverageMask.uncovered(Rect(x: 0, y: 0, width: 10, height: 10), monitors: []).isEmpty)
    }
}

@Suite struct PixelTests {
    @Test func convertsSixteenBitAndBigEndianAndTenBit() {
        // RGB565, little-endian: pure red, then pure green.
        let rgb565: [UInt8] = [0x00, 0xF8, 0xE0, 0x07]
        let small = rgb565.withUnsafeBytes {
            PixelConverter.bgrx(from: $0, width: 2, height: 1, format: XPixelFormat(
                bitsPerPixel: 16, bytesPerLine: 4, leastSignificantByteFirst: true, redMask: 0xF800, greenMask: 0x07E0, blueMask: 0x1F))
        }
        #expect(small.rgb(0, 0) == RGB(255, 0, 0))
        #expect(small.rgb(1, 0) == RGB(0, 255, 0))
        // 32 bits, most significant byte first (a big-endian server): 0x00112233.
        let big: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0xFF, 0xFF]
        let converted = big.withUnsafeBytes {
            PixelConverter.bgrx(from: $0, width: 1, height: 1, format: XPixelFormat(
                bitsPerPixel: 32, bytesPerLine: 6, leastSignificantByteFirst: false, redMask: 0xFF0000, greenMask: 0xFF00, blueMask: 0xFF))
        }
        #expect(converted.rgb(0, 0) == RGB(0x11, 0x22, 0x33))
        // 10 bits per channel (depth 30): full red, half green, no blue.
        let tenBit = UInt32(0x3FF) << 20 | UInt32(0x200) << 10
        let bytes = withUnsafeBytes(of: tenBit.littleEndian) { Array($0) }
        let deep = bytes.withUnsafeBytes {
            PixelConverter.bgrx(from: $0, width: 1, height: 1, format: XPixelFormat(
                bitsPerPixel: 32, bytesPerLine: 4, leastSignificantByteFirst: true,
                redMask: 0x3FF00000, greenMask: 0xFFC00, blueMask: 0x3FF))
        }
        #expect(deep.rgb(0, 0) == RGB(255, 128, 0))
    }

    @Test func cursorBlendsPremultipliedAlphaAndClips() {
        var shot = Screenshot(width: 4, height: 4, pixels: [UInt8](repeating: 200, count: 64))
        // 2x2 cursor: opaque red, half-transparent black (premultiplied: 0x80000000), transparent, opaque white.
        let cursor = CursorImage(width: 2, height: 2, hotspot: Point(x: 1, y: 1), position: Point(x: 11, y: 21),
                                 argb: [0xFFFF0000, 0x80000000, 0x00000000, 0xFFFFFFFF])
        cursor.composite(onto: &shot, capturedArea: Rect(x: 10, y: 20, width: 4, height: 4))
        #expect(shot.rgb(0, 0) == RGB(255, 0, 0))
        #expect(shot.rgb(1, 0) == RGB(100, 100, 100))
        #expect(shot.rgb(0, 1) == RGB(200, 200, 200))
        #expect(shot.rgb(1, 1) == RGB(255, 255, 255))
        #expect(shot.rgb(2, 2) == RGB(200, 200, 200))
        // Off the capture's edge: nothing is drawn and nothing crashes.
        CursorImage(width: 2, height: 2, hotspot: Point(x: 0, y: 0), position: Point(x: 13, y: 23), argb: [0xFF00FF00, 0xFF00FF00, 0xFF00FF00, 0xFF00FF00])
            .composite(onto: &shot, capturedArea: Rect(x: 10, y: 20, width: 4, height: 4))
        #expect(shot.rgb(3, 3) == RGB(0, 255, 0))
    }

    @Test func cropAndBlackOut() {
        var pixels = [UInt8](repeating: 0, count: 3 * 2 * 4)
        for i in 0..<6 { pixels[i * 4 + 2] = UInt8(i * 10) }
        var shot = Screenshot(width: 3, height: 2, pixels: pixels)
        let crop = shot.cropped(to: Rect(x: 1, y: 1, width: 2, height: 1))
        #expect(crop.width == 2 && crop.height == 1)
        #expect(crop.rgb(0, 0).r == 40 && crop.rgb(1, 0).r == 50)
        shot.blackOut([Rect(x: 2, y: 0, width: 5, height: 1)])
        #expect(shot.rgb(2, 0).r == 0 && shot.rgb(1, 0).r == 10 && shot.rgb(2, 1).r == 50)
    }
}
