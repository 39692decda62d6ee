import Foundation

/// Renders a one-line transfer progress report: bytes, percentage, rate and time left.
public struct ProgressMeter: Sendable {
    public let label: String
    public let width: Int

    public init(label: String, width: Int = 24) {
        self.label = label; self.width = width
    }

    public func line(done: Int64, total: Int64, elapsedSeconds: Double) -> String {
        let rate = elapsedSeconds > 0 ? Double(done) / elapsedSeconds : 0
        var parts = [label]
        if total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let filled = Int((fraction * Double(width)).rounded(.down))
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]")
            parts.append("\(Self.bytes(done))/\(Self.bytes(total))")
            parts.append(String(format: "%3d%%", Int(fraction * 100)))
        } else {
            parts.append(Self.bytes(done))
        }
        parts.append("\(Self.bytes(Int64(rate)))/s")
        if total > 0, rate > 0, done < total {
            parts.append("ETA " + Self.duration(Double(total - done) / rate))
        }
        return parts.joined(separator: " ")
    }

    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    public static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }
}
