import Foundation

/// Turns a client-supplied file name into a safe display name, or refuses it.
///
/// Names are only ever shown and put in `Content-Disposition`; they never become paths. Still, a name that
/// tries to be a path or hides characters is refused outright, so the uploader learns at once rather than
/// having the server quietly store something else.
public enum AttachmentName {
    /// Bidirectional overrides and isolates, used to disguise `evil\u{202E}gpj.exe` as `evilexe.jpg`.
    static let bidiControls: ClosedRange<UInt32> = 0x202A...0x202E
    static let bidiIsolates: ClosedRange<UInt32> = 0x2066...0x2069

    /// Format characters that draw nothing (zero-width space, word joiner, soft hyphen, BOM …). The zero-width
    /// joiner is kept: emoji sequences need it.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .format && scalar.value != 0x200D
            && !bidiControls.contains(scalar.value) && !bidiIsolates.contains(scalar.value)
    }

    public static func validate(_ raw: String, maxBytes: Int) throws(TackError) -> String {
        let name = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else {
            throw .invalid(.invalidName, "the file name is empty")
        }
        for scalar in name.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                throw .invalid(
                    .invalidName,
                    "the file name contains a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
            }
            if bidiControls.contains(scalar.value) || bidiIsolates.contains(scalar.value) {
                throw .invalid(.invalidName, "the file name contains a bidirectional override, which can disguise its type")
            }
            if isInvisible(scalar) {
                throw .invalid(.invalidName, "the file name contains an invisible character (U+\(String(scalar.value, radix: 16, uppercase: true))), which can make two names look alike")
            }
            if scalar == "/" || scalar == "\\" {
                throw .invalid(.invalidName, "the file name contains a path separator; send the base name only")
            }
        }
        if name == "." || name == ".." {
            throw .invalid(.invalidName, "'\(name)' is not a file name")
        }
        return truncated(name, maxBytes: maxBytes)
    }

    /// A display name from a name nobody here chose (an upstream's `Content-Disposition`, a URL path): the base
    /// name with hidden characters dropped, or nil when nothing usable is left.
    public static func sanitized(_ raw: String, maxBytes: Int) -> String? {
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let visible = String(String.UnicodeScalarView(base.unicodeScalars.filter { scalar in
            scalar.properties.generalCategory != .control && !bidiControls.contains(scalar.value)
                && !bidiIsolates.contains(scalar.value) && !isInvisible(scalar)
        }))
        return try? validate(visible, maxBytes: maxBytes)
    }

    /// Shortens to `maxBytes` of UTF-8 on a character boundary, keeping a short extension when there is one.
    public static func truncated(_ name: String, maxBytes: Int) -> String {
        guard name.utf8.count > maxBytes else { return name }
        var stem = Substring(name)
        var suffix = ""
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let ext = name[dot...]
            if ext.utf8.count <= 16 && ext.utf8.count < maxBytes / 2 {
                suffix = String(ext)
                stem = name[..<dot]
            }
        }
        let budget = maxBytes - suffix.utf8.count
        var kept = ""
        var used = 0
        for character in stem {
            let size = character.utf8.count
            if used + size > budget { break }
            kept.append(character)
            used += size
        }
        return kept + suffix
    }
}
