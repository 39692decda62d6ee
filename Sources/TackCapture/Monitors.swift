/// One monitor as XRandR describes it: a named area of the root window.
public struct Monitor: Sendable, Equatable {
    public var name: String
    public var rect: Rect
    public var isPrimary: Bool

    public init(name: String, rect: Rect, isPrimary: Bool) {
        self.name = name; self.rect = rect; self.isPrimary = isPrimary
    }
}

/// Picks the monitor `--monitor` names: an output name, an index (0-based, in XRandR's order), `primary`, or
/// `under-cursor`.
public enum MonitorSelector {
    public static func select(_ selector: String, from monitors: [Monitor], pointer: Point) throws(CaptureError) -> Monitor {
        guard !monitors.isEmpty else { throw .noSuchMonitor("the X server reports no monitors (XRandR)") }
        if let exact = monitors.first(where: { $0.name == selector }) { return exact }
        switch selector.lowercased() {
        case "primary":
            return monitors.first(where: \.isPrimary) ?? monitors[0]
        case "under-cursor", "cursor":
            if let hit = monitors.first(where: { $0.rect.contains(pointer) }) { return hit }
            throw .noSuchMonitor("no monitor is under the pointer at \(pointer.x),\(pointer.y)")
        default:
            if let index = Int(selector), monitors.indices.contains(index) { return monitors[index] }
            let names = monitors.enumerated().map { "\($0.offset) \($0.element.name)" }.joined(separator: ", ")
            throw .noSuchMonitor("there is no monitor '\(selector)'; the monitors are: \(names)")
        }
    }
}

/// Parts of a capture that no monitor shows (the corners of an L-shaped layout, say): they come out black
/// rather than as whatever stale pixels the framebuffer holds there.
public enum CoverageMask {
    /// Row spans, in capture coordinates, that no monitor covers.
    public static func uncovered(_ area: Rect, monitors: [Monitor]) -> [Rect] {
        guard !monitors.isEmpty else { return [] }
        var holes: [Rect] = []
        // Rows change coverage only at monitor edges: walk the bands between them.
        var edges = Set([area.y, area.maxY])
        for monitor in monitors {
            for edge in [monitor.rect.y, monitor.rect.maxY] where edge > area.y && edge < area.maxY { edges.insert(edge) }
        }
        let bands = edges.sorted()
        for (top, bottom) in zip(bands, bands.dropFirst()) {
            let spans = monitors.map(\.rect)
                .filter { $0.y <= top && $0.maxY >= bottom }
                .map { (max($0.x, area.x), min($0.maxX, area.maxX)) }
                .filter { $0.0 < $0.1 }
                .sorted { $0.0 < $1.0 }
            var cursor = area.x
            for (start, end) in spans {
                if start > cursor { holes.append(Rect(x: cursor - area.x, y: top - area.y, width: start - cursor, height: bottom - top)) }
                cursor = max(cursor, end)
            }
            if cursor < area.maxX {
                holes.append(Rect(x: cursor - area.x, y: top - area.y, width: area.maxX - cursor, height: bottom - top))
            }
        }
        return holes
    }
}
