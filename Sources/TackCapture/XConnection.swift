import CX11
import Foundation

/// The last X protocol error, recorded by `recordXError` instead of Xlib's default handler, which exits.
///
/// `nonisolated(unsafe)`: Xlib calls the handler on the thread that made the request, and tack uses one
/// connection from one thread only, so the variable is never touched concurrently.
nonisolated(unsafe) private var lastXError: UInt8 = 0

private let recordXError: XErrorHandler = { _, event in
    lastXError = event?.pointee.error_code ?? 255
    return 0
}

/// An open connection to an X server. Xlib is not thread-safe here: use it from one thread, then let it go.
public final class XConnection {
    let display: OpaquePointer
    let screen: Int32
    public let root: UInt

    /// Opens `name`, or `$DISPLAY` when nil.
    public init(name: String? = nil) throws(CaptureError) {
        let target = name ?? ProcessInfo.processInfo.environment["DISPLAY"]
        guard let target, !target.isEmpty else {
            throw .display("no X display: DISPLAY is not set (tack captures X11 screens; under Wayland, run it in XWayland)")
        }
        guard let display = XOpenDisplay(target) else {
            throw .display("cannot open the X display '\(target)'; is the X server running, and may this user use it?")
        }
        _ = XSetErrorHandler(recordXError)
        self.display = display
        screen = XDefaultScreen(display)
        root = XDefaultRootWindow(display)
    }

    deinit { XCloseDisplay(display) }

    /// The whole root window.
    public var screenRect: Rect {
        Rect(x: 0, y: 0, width: Int(XDisplayWidth(display, screen)), height: Int(XDisplayHeight(display, screen)))
    }

    public var rootDepth: Int { Int(XDefaultDepth(display, screen)) }

    /// Monitors as XRandR reports them (RandR 1.5 monitors, which include ones made with `xrandr --setmonitor`).
    public func monitors() -> [Monitor] {
        var count: Int32 = 0
        guard let list = XRRGetMonitors(display, root, 1, &count) else { return [] }
        defer { XRRFreeMonitors(list) }
        return (0..<Int(count)).map { index in
            let info = list[index]
            var name = "monitor-\(index)"
            if let atom = XGetAtomName(display, info.name) {
                name = String(cString: atom)
                XFree(atom)
            }
            return Monitor(name: name, rect: Rect(x: Int(info.x), y: Int(info.y), width: Int(info.width), height: Int(info.height)),
                           isPrimary: info.primary != 0)
        }
    }

    public func pointer() -> Point {
        var rootReturn: UInt = 0, child: UInt = 0
        var rootX: Int32 = 0, rootY: Int32 = 0, windowX: Int32 = 0, windowY: Int32 = 0, mask: UInt32 = 0
        _ = XQueryPointer(display, root, &rootReturn, &child, &rootX, &rootY, &windowX, &windowY, &mask)
        return Point(x: Int(rootX), y: Int(rootY))
    }

    /// The window `--window` names: `root`, `active` (EWMH `_NET_ACTIVE_WINDOW`), or an id in decimal or `0x` hex.
    public func window(named text: String) throws(CaptureError) -> UInt {
        switch text.lowercased() {
        case "root":
            return root
        case "active", "focused":
            guard let active = activeWindow(), active != 0 else {
                throw .noSuchWindow("no active window: the window manager does not publish _NET_ACTIVE_WINDOW")
            }
            return active
        default:
            let lower = text.lowercased()
            let id = lower.hasPrefix("0x") ? UInt(lower.dropFirst(2), radix: 16) : UInt(lower)
            guard let id, id != 0 else {
                throw .badGeometry("'\(text)' is not a window; give an id (decimal or 0x hex), 'active' or 'root'")
            }
            return id
        }
    }

    private func activeWindow() -> UInt? {
        let atom = XInternAtom(display, "_NET_ACTIVE_WINDOW", 1)
        guard atom != 0 else { return nil }
        var actualType: UInt = 0, actualFormat: Int32 = 0, items: UInt = 0, after: UInt = 0
        var data: UnsafeMutablePointer<UInt8>?
        let status = XGetWindowProperty(display, root, atom, 0, 1, 0, UInt(XA_WINDOW), &actualType, &actualFormat,
                                        &items, &after, &data)
        defer { if let data { XFree(data) } }
        guard status == Success, let data, items == 1, actualFormat == 32 else { return nil }
        // Format-32 properties come back as C longs.
        return data.withMemoryRebound(to: UInt.self, capacity: 1) { $0.pointee }
    }

    /// A window's visible area in root coordinates, with what is needed to read it.
    struct WindowArea {
        var inRoot: Rect
        var visual: UnsafeMutablePointer<Visual>
        var depth: Int32
    }

    func windowArea(_ window: UInt) throws(CaptureError) -> WindowArea {
        var attributes = XWindowAttributes()
        lastXError = 0
        let ok = XGetWindowAttributes(display, window, &attributes)
        XSync(display, 0)
        guard ok != 0, lastXError == 0, let visual = attributes.visual else {
            throw .noSuchWindow("there is no window \(String(format: "0x%lx", window)) on this display")
        }
        guard attributes.map_state == IsViewable else {
            throw .outside("the window \(String(format: "0x%lx", window)) is not on screen (unmapped or minimised)")
        }
        var x: Int32 = 0, y: Int32 = 0, child: UInt = 0
        _ = XTranslateCoordinates(display, window, root, 0, 0, &x, &y, &child)
        let rect = Rect(x: Int(x), y: Int(y), width: Int(attributes.width), height: Int(attributes.height))
        return WindowArea(inRoot: rect, visual: visual, depth: attributes.depth)
    }

    var defaultVisual: UnsafeMutablePointer<Visual> { XDefaultVisual(display, screen) }
    var defaultDepth: Int32 { XDefaultDepth(display, screen) }

    /// Reads `rect` (in the drawable's coordinates) of a drawable: MIT-SHM when the server offers it, so the pixels
    /// arrive through shared memory, or plain GetImage (a remote display, say).
    func read(_ drawable: UInt, rect: Rect, visual: UnsafeMutablePointer<Visual>, depth: Int32) throws(CaptureError) -> Screenshot {
        if XShmQueryExtension(display) != 0, let shot = readShared(drawable, rect: rect, visual: visual, depth: depth) {
            return shot
        }
        lastXError = 0
        guard let image = XGetImage(display, drawable, Int32(rect.x), Int32(rect.y), UInt32(rect.width), UInt32(rect.height),
                                    UInt.max, ZPixmap) else {
            throw .server("the X server refused to hand out the pixels of \(rect) (error \(lastXError))")
        }
        defer { _ = tack_x_destroy_image(image) }
        return convert(image, visual: visual)
    }

    private func readShared(_ drawable: UInt, rect: Rect, visual: UnsafeMutablePointer<Visual>, depth: Int32) -> Screenshot? {
        // XShmCreateImage keeps this pointer: it must outlive the request, so it cannot be a Swift local.
        let segment = UnsafeMutablePointer<XShmSegmentInfo>.allocate(capacity: 1)
        segment.initialize(to: XShmSegmentInfo())
        defer { segment.deallocate() }
        guard let image = XShmCreateImage(display, visual, UInt32(depth), ZPixmap, nil, segment,
                                          UInt32(rect.width), UInt32(rect.height)) else { return nil }
        var attached = false, address: UnsafeMutableRawPointer?
        defer {
            if attached { XShmDetach(display, segment); XSync(display, 0) }
            image.pointee.data = nil
            _ = tack_x_destroy_image(image)
            if let address { shmdt(address) }
        }
        let size = Int(image.pointee.bytes_per_line) * Int(image.pointee.height)
        let id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0o600)
        guard id >= 0 else { return nil }
        segment.pointee.shmid = id
        let mapped = shmat(id, nil, 0)
        // Marked for removal now, so the kernel frees it however this process ends.
        shmctl(id, IPC_RMID, nil)
        guard let mapped, mapped != tack_shm_failed() else { return nil }
        address = mapped
        segment.pointee.shmaddr = mapped.assumingMemoryBound(to: CChar.self)
        segment.pointee.readOnly = 0
        image.pointee.data = segment.pointee.shmaddr
        lastXError = 0
        guard XShmAttach(display, segment) != 0 else { return nil }
        XSync(display, 0)
        guard lastXError == 0 else { return nil }
        attached = true
        guard XShmGetImage(display, drawable, image, Int32(rect.x), Int32(rect.y), UInt.max) != 0 else { return nil }
        XSync(display, 0)
        guard lastXError == 0 else { return nil }
        let format = pixelFormat(image, visual: visual)
        guard format.isNativeBGRX else { return convert(image, visual: visual) }
        // The common case: the segment already holds BGRX rows. It becomes the screenshot's memory, detached from
        // the server now and from this process when the screenshot goes.
        XShmDetach(display, segment)
        XSync(display, 0)
        attached = false
        address = nil
        return Screenshot(width: rect.width, height: rect.height, bytesPerRow: format.bytesPerLine,
                          memory: PixelMemory(adopting: mapped, count: size, release: { shmdt($0) }))
    }

    /// The channel masks come from the visual: an image of a pixmap has none of its own (GetImage answers a pixmap
    /// with visual None, and Xlib leaves the masks zero).
    private func pixelFormat(_ image: UnsafeMutablePointer<XImage>, visual: UnsafeMutablePointer<Visual>) -> XPixelFormat {
        let header = image.pointee
        return XPixelFormat(bitsPerPixel: Int(header.bits_per_pixel), bytesPerLine: Int(header.bytes_per_line),
                            leastSignificantByteFirst: header.byte_order == LSBFirst,
                            redMask: UInt32(truncatingIfNeeded: visual.pointee.red_mask),
                            greenMask: UInt32(truncatingIfNeeded: visual.pointee.green_mask),
                            blueMask: UInt32(truncatingIfNeeded: visual.pointee.blue_mask))
    }

    private func convert(_ image: UnsafeMutablePointer<XImage>, visual: UnsafeMutablePointer<Visual>) -> Screenshot {
        let header = image.pointee
        let format = pixelFormat(image, visual: visual)
        let bytes = UnsafeRawBufferPointer(start: header.data, count: Int(header.bytes_per_line) * Int(header.height))
        return PixelConverter.bgrx(from: bytes, width: Int(header.width), height: Int(header.height), format: format)
    }

    /// The pointer's current image and place (XFixes), or nil when the server has no XFixes.
    public func cursorImage() -> CursorImage? {
        var eventBase: Int32 = 0, errorBase: Int32 = 0
        guard XFixesQueryExtension(display, &eventBase, &errorBase) != 0,
              let image = XFixesGetCursorImage(display) else { return nil }
        defer { XFree(image) }
        let cursor = image.pointee
        let count = Int(cursor.width) * Int(cursor.height)
        // The pixels are C longs each holding one 32-bit ARGB value.
        let argb = (0..<count).map { UInt32(truncatingIfNeeded: cursor.pixels[$0]) }
        return CursorImage(width: Int(cursor.width), height: Int(cursor.height),
                           hotspot: Point(x: Int(cursor.xhot), y: Int(cursor.yhot)),
                           position: Point(x: Int(cursor.x), y: Int(cursor.y)), argb: argb)
    }
}
