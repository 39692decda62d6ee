import CX11
import Foundation
import TackSpawn

/// A throwaway Xvfb server for one test. It picks a free display itself (`-displayfd`) and never resets, so monitors
/// made with `xrandr --setmonitor` and pictures painted by a client that has gone stay put.
public final class VirtualScreen: Sendable {
    public let display: String
    private let process: ChildProcess

    /// `extraArguments` go to Xvfb as they are, e.g. `["-extension", "MIT-SHM"]` to turn an extension off.
    public init(width: Int = 640, height: Int = 480, depth: Int = 24, extraArguments: [String] = []) throws {
        let out = Pipe()
        process = try ChildProcess.run(
            "/usr/bin/Xvfb",
            ["-displayfd", "1", "-noreset", "-nolisten", "tcp", "-screen", "0", "\(width)x\(height)x\(depth)"] + extraArguments,
            input: .null, output: .pipe(out), error: .null)
        // Xvfb writes its display number once it accepts connections.
        var number = ""
        let reader = out.fileHandleForReading
        while !number.hasSuffix("\n") {
            let byte = reader.readData(ofLength: 1)
            guard !byte.isEmpty else { throw SupportError("Xvfb \(width)x\(height)x\(depth) exited during start-up") }
            number += String(decoding: byte, as: UTF8.self)
        }
        display = ":" + number.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        process.signal(SIGKILL)
        process.waitUntilExit()
    }

    /// Runs an X client program (xrandr, xdotool, xterm…) against this display and waits for it.
    @discardableResult
    public func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProgram("/usr/bin/env", [tool] + arguments,
                       environment: ProcessInfo.processInfo.environment.merging(["DISPLAY": display]) { $1 })
    }
}

/// Paints exact colours at exact places through its own X connection, as the root window's background, so the
/// picture survives windows coming and going and this client disconnecting.
public final class XPainter {
    public let display: OpaquePointer
    public let screen: Int32
    public let root: UInt
    private let pixmap: UInt
    private let gc: GC

    public init(_ screenName: String) throws {
        guard let display = XOpenDisplay(screenName) else { throw SupportError("cannot open \(screenName)") }
        self.display = display
        screen = XDefaultScreen(display)
        root = XDefaultRootWindow(display)
        let width = UInt32(XDisplayWidth(display, screen)), height = UInt32(XDisplayHeight(display, screen))
        pixmap = XCreatePixmap(display, root, width, height, UInt32(XDefaultDepth(display, screen)))
        gc = XCreateGC(display, pixmap, 0, nil)
    }

    deinit {
        XFreeGC(display, gc)
        XFreePixmap(display, pixmap)
        XCloseDisplay(display)
    }

    /// The server's pixel value for an 8-bit colour (exact for colours every depth can show, like pure red).
    public func pixel(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt {
        var colour = XColor()
        colour.red = UInt16(r) * 257; colour.green = UInt16(g) * 257; colour.blue = UInt16(b) * 257
        _ = XAllocColor(display, XDefaultColormap(display, screen), &colour)
        return colour.pixel
    }

    public func fill(_ x: Int, _ y: Int, _ width: Int, _ height: Int, _ r: UInt8, _ g: UInt8, _ b: UInt8) {
        XSetForeground(display, gc, pixel(r, g, b))
        XFillRectangle(display, pixmap, gc, Int32(x), Int32(y), UInt32(width), UInt32(height))
    }

    /// Shows what was painted and waits until the server has done it.
    public func show() {
        XSetWindowBackgroundPixmap(display, root, pixmap)
        XClearWindow(display, root)
        XSync(display, 0)
    }

    /// A mapped top-level window filled with one colour; with `depth: 32` it uses an ARGB visual.
    public func window(x: Int, y: Int, width: Int, height: Int, argb: UInt32, depth: Int32 = 24) throws -> UInt {
        var attributes = XSetWindowAttributes()
        var visual = XDefaultVisual(display, screen)
        var mask = UInt(CWBackPixel | CWEventMask)
        attributes.event_mask = StructureNotifyMask
        if depth == 32 {
            var info = XVisualInfo()
            guard XMatchVisualInfo(display, screen, 32, TrueColor, &info) != 0 else { throw SupportError("no 32-bit visual") }
            visual = info.visual
            attributes.colormap = XCreateColormap(display, root, visual, AllocNone)
            attributes.border_pixel = 0
            attributes.background_pixel = UInt(argb)
            mask |= UInt(CWColormap | CWBorderPixel)
        } else {
            attributes.background_pixel = pixel(UInt8(argb >> 16 & 0xFF), UInt8(argb >> 8 & 0xFF), UInt8(argb & 0xFF))
        }
        let window = XCreateWindow(display, root, Int32(x), Int32(y), UInt32(width), UInt32(height), 0,
                                   depth == 32 ? 32 : XDefaultDepth(display, screen), UInt32(InputOutput), visual, mask, &attributes)
        XMapRaised(display, window)
        var event = XEvent()
        repeat { XWindowEvent(display, window, StructureNotifyMask, &event) } while event.type != MapNotify
        XSync(display, 0)
        return window
    }

    public func warpPointer(to x: Int, _ y: Int) {
        XWarpPointer(display, 0, root, 0, 0, 0, 0, Int32(x), Int32(y))
        XSync(display, 0)
    }
}

/// Paths of the package's built executables, found beside the test bundle.
public enum BuiltProducts {
    public static func path(_ name: String) -> String {
        if let explicit = ProcessInfo.processInfo.environment["\(name.uppercased())_BIN"] { return explicit }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent(name).path
    }
}
