/// Why a capture could not be made, each with the sentence a person needs to fix it.
public enum CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No X display to talk to, or it went away.
    case display(String)
    /// A geometry, monitor or window that does not parse or names nothing.
    case badGeometry(String)
    /// A target that exists but has no pixels on the screen.
    case outside(String)
    case noSuchMonitor(String)
    case noSuchWindow(String)
    /// The person pressed Escape or the right button during a selection.
    case cancelled
    /// The X server refused a request the capture needs.
    case server(String)

    public var description: String {
        switch self {
        case .display(let text), .badGeometry(let text), .outside(let text), .noSuchMonitor(let text),
             .noSuchWindow(let text), .server(let text):
            return text
        case .cancelled:
            return "selection cancelled"
        }
    }
}
