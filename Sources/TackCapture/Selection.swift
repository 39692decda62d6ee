import CX11
import Foundation

/// An interactive selection on a frozen screen: what is on screen is copied into a pixmap first, shown in a
/// full-screen override-redirect window, and the picture is read back from that pixmap. The rubber band is drawn
/// on the window only, so it can never appear in the capture, and nothing that moves meanwhile does either.
struct Selection {
    let connection: XConnection
    let monitors: [Monitor]

    func run(started: () -> Void) throws(CaptureError) -> Capture {
        let display = connection.display, root = connection.root
        let screen = connection.screenRect
        let width = UInt32(screen.width), height = UInt32(screen.height)
        let depth = connection.defaultDepth

        let frozen = XCreatePixmap(display, root, width, height, UInt32(depth))
        defer { XFreePixmap(display, frozen) }
        var copyValues = XGCValues()
        copyValues.subwindow_mode = IncludeInferiors
        let copyGC = XCreateGC(display, frozen, UInt(GCSubwindowMode), &copyValues)
        defer { XFreeGC(display, copyGC) }
        XCopyArea(display, root, frozen, copyGC, 0, 0, width, height, 0, 0)

        var attributes = XSetWindowAttributes()
        attributes.override_redirect = 1
        attributes.background_pixmap = frozen
        attributes.event_mask = ButtonPressMask | ButtonReleaseMask | PointerMotionMask | KeyPressMask | StructureNotifyMask
        let overlay = XCreateWindow(display, root, 0, 0, width, height, 0, depth, UInt32(InputOutput), connection.defaultVisual,
                                    UInt(CWOverrideRedirect | CWBackPixmap | CWEventMask), &attributes)
        defer {
            XDestroyWindow(display, overlay)
            XSync(display, 0)
        }
        XMapRaised(display, overlay)
        waitForMap(overlay)

        let crosshair = XCreateFontCursor(display, UInt32(XC_crosshair))
        defer { XFreeCursor(display, crosshair) }
        try grab(overlay, cursor: crosshair)
        defer {
            XUngrabPointer(display, UInt(CurrentTime))
            XUngrabKeyboard(display, UInt(CurrentTime))
        }

        var bandValues = XGCValues()
        bandValues.function = GXinvert
        bandValues.line_width = 1
        let bandGC = XCreateGC(display, overlay, UInt(GCFunction | GCLineWidth), &bandValues)
        defer { XFreeGC(display, bandGC) }

        started()
        var anchor: Point?
        var band: Rect?
        var event = XEvent()
        while true {
            XNextEvent(display, &event)
            switch event.type {
            case ButtonPress:
                if event.xbutton.button == UInt32(Button3) { throw .cancelled }
                if event.xbutton.button == UInt32(Button1) {
                    anchor = Point(x: Int(event.xbutton.x_root), y: Int(event.xbutton.y_root))
                }
            case MotionNotify:
                guard let anchor else { continue }
                let next = Self.rect(from: anchor, to: Point(x: Int(event.xmotion.x_root), y: Int(event.xmotion.y_root)))
                if let band { XClearArea(display, overlay, Int32(band.x), Int32(band.y), UInt32(band.width + 1), UInt32(band.height + 1), 0) }
                XDrawRectangle(display, overlay, bandGC, Int32(next.x), Int32(next.y), UInt32(next.width), UInt32(next.height))
                band = next
            case ButtonRelease:
                guard let start = anchor, event.xbutton.button == UInt32(Button1) else { continue }
                let end = Point(x: Int(event.xbutton.x_root), y: Int(event.xbutton.y_root))
                var chosen = Self.rect(from: start, to: end).intersection(screen)
                if chosen.isEmpty {
                    // A click without a drag picks the window under it, as maim and slop do.
                    chosen = try windowUnder(end, overlay: overlay) ?? screen
                }
                var shot = try connection.read(frozen, rect: chosen, visual: connection.defaultVisual, depth: depth)
                shot.blackOut(CoverageMask.uncovered(chosen, monitors: monitors))
                return Capture(shot: shot, area: chosen)
            case KeyPress:
                if XLookupKeysym(&event.xkey, 0) == UInt(XK_Escape) { throw .cancelled }
            default:
                continue
            }
        }
    }

    /// The corners of a drag, as a rectangle whose edges are the two points.
    static func rect(from a: Point, to b: Point) -> Rect {
        Rect(x: min(a.x, b.x), y: min(a.y, b.y), width: abs(a.x - b.x), height: abs(a.y - b.y))
    }

    private func waitForMap(_ window: UInt) {
        var event = XEvent()
        for _ in 0..<200 {
            if XCheckTypedWindowEvent(connection.display, window, MapNotify, &event) != 0 { return }
            usleep(5_000)
        }
    }

    /// Another client may hold a grab for a moment (a key binding's own grab, say): retry for a second.
    private func grab(_ window: UInt, cursor: UInt) throws(CaptureError) {
        let display = connection.display
        let mask = UInt32(ButtonPressMask | ButtonReleaseMask | PointerMotionMask)
        for _ in 0..<100 {
            if XGrabPointer(display, window, 0, mask, GrabModeAsync, GrabModeAsync, 0, cursor, UInt(CurrentTime)) == GrabSuccess {
                if XGrabKeyboard(display, window, 0, GrabModeAsync, GrabModeAsync, UInt(CurrentTime)) == GrabSuccess { return }
                XUngrabPointer(display, UInt(CurrentTime))
            }
            usleep(10_000)
        }
        throw .server("another program holds the pointer or keyboard; cannot start a selection")
    }

    private func windowUnder(_ point: Point, overlay: UInt) throws(CaptureError) -> Rect? {
        var children: UnsafeMutablePointer<UInt>?
        var count: UInt32 = 0, rootReturn: UInt = 0, parent: UInt = 0
        guard XQueryTree(connection.display, connection.root, &rootReturn, &parent, &children, &count) != 0, let children else {
            return nil
        }
        defer { XFree(children) }
        // Stacking order is bottom to top: the last viewable window containing the point is the visible one.
        for index in stride(from: Int(count) - 1, through: 0, by: -1) where children[index] != overlay {
            if let area = try? connection.windowArea(children[index]), area.inRoot.contains(point) {
                return area.inRoot.intersection(connection.screenRect)
            }
        }
        return nil
    }
}
