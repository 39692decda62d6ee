import CX11
import Foundation

/// What `tack shot` captures.
public enum CaptureTarget: Sendable, Equatable {
    case screen
    /// An XRandR output name, an index, `primary` or `under-cursor`.
    case monitor(String)
    /// A window id (decimal or hex), `active` or `root`.
    case window(String)
    case region(Rect)
    /// A rectangle the person drags with the mouse on a frozen picture of the screen.
    case selection
}

/// A captured picture and where it was on the screen.
public struct Capture: Sendable {
    public var shot: Screenshot
    /// Root-window coordinates of the picture.
    public var area: Rect
}

/// Decides which part of the root window a target covers, without talking to the X server.
public enum CapturePlanner {
    public static func area(for target: CaptureTarget, screen: Rect, monitors: [Monitor], pointer: Point) throws(CaptureError) -> Rect {
        switch target {
        case .screen, .selection:
            return screen
        case .monitor(let selector):
            let monitor = try MonitorSelector.select(selector, from: monitors, pointer: pointer)
            return try clamp(monitor.rect, to: screen, describing: "the monitor \(monitor.name)")
        case .region(let rect):
            return try clamp(rect, to: screen, describing: "the region \(rect)")
        case .window:
            preconditionFailure("windows are placed by the X server")
        }
    }

    public static func clamp(_ rect: Rect, to screen: Rect, describing what: String) throws(CaptureError) -> Rect {
        let visible = rect.intersection(screen)
        guard !visible.isEmpty else {
            throw .outside("\(what) lies outside the screen \(screen.width)x\(screen.height)")
        }
        return visible
    }
}

/// Captures targets from one X connection.
public final class ScreenCapturer {
    public let connection: XConnection

    public init(connection: XConnection) { self.connection = connection }

    /// `selecting` is called once the pointer and keyboard are grabbed for an interactive selection.
    public func capture(_ target: CaptureTarget, cursor: Bool = false, selecting: () -> Void = {}) throws(CaptureError) -> Capture {
        let screen = connection.screenRect
        let monitors = connection.monitors()
        var capture: Capture
        switch target {
        case .window(let name):
            let window = try connection.window(named: name)
            let area = try connection.windowArea(window)
            let visible = try CapturePlanner.clamp(area.inRoot, to: screen, describing: "the window")
            let local = Rect(x: visible.x - area.inRoot.x, y: visible.y - area.inRoot.y, width: visible.width, height: visible.height)
            capture = Capture(shot: try connection.read(window, rect: local, visual: area.visual, depth: area.depth), area: visible)
        case .selection:
            capture = try Selection(connection: connection, monitors: monitors).run(started: selecting)
        default:
            let area = try CapturePlanner.area(for: target, screen: screen, monitors: monitors, pointer: connection.pointer())
            var shot = try connection.read(connection.root, rect: area, visual: connection.defaultVisual,
                                           depth: connection.defaultDepth)
            shot.blackOut(CoverageMask.uncovered(area, monitors: monitors))
            capture = Capture(shot: shot, area: area)
        }
        if cursor, let image = connection.cursorImage() {
            image.composite(onto: &capture.shot, capturedArea: capture.area)
        }
        return capture
    }
}
