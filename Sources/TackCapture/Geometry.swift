import Foundation

/// A rectangle in root-window pixels.
public struct Rect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return Rect(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
    }

    public func contains(_ point: Point) -> Bool {
        point.x >= x && point.x < maxX && point.y >= y && point.y < maxY
    }

    /// X geometry, `WxH+X+Y`, the form slop prints and `--region` takes.
    public var description: String {
        "\(width)x\(height)\(x < 0 ? "-" : "+")\(abs(x))\(y < 0 ? "-" : "+")\(abs(y))"
    }
}

/// A point in root-window pixels.
public struct Point: Sendable, Equatable {
    public var x: Int, y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
}

/// Reads X geometry strings: `WxH+X+Y` (slop's output), `WxH` (at the origin), with `-` offsets allowed.
public enum GeometryParser {
    public static func parse(_ text: String) throws(CaptureError) -> Rect {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var rest = Substring(trimmed)
        guard let width = number(&rest), rest.first == "x" || rest.first == "X" else { throw bad(text) }
        rest.removeFirst()
        guard let height = number(&rest) else { throw bad(text) }
        var x = 0, y = 0
        if !rest.isEmpty {
            guard let sx = signedNumber(&rest), let sy = signedNumber(&rest), rest.isEmpty else { throw bad(text) }
            x = sx; y = sy
        }
        guard width > 0, height > 0 else {
            throw .badGeometry("the region \(text) is empty; give a width and height above 0, e.g. 800x600+0+0")
        }
        return Rect(x: x, y: y, width: width, height: height)
    }

    private static func number(_ text: inout Substring) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 7, let value = Int(digits) else { return nil }
        text = text.dropFirst(digits.count)
        return value
    }

    private static func signedNumber(_ text: inout Substring) -> Int? {
        guard let sign = text.first, sign == "+" || sign == "-" else { return nil }
        text.removeFirst()
        return number(&text).map { sign == "-" ? -$0 : $0 }
    }

    private static func bad(_ text: String) -> CaptureError {
        .badGeometry("'\(text)' is not a geometry; write WxH+X+Y, e.g. 800x600+100+50")
    }
}
