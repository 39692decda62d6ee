/// File names for downloads, decided without touching the disk (the caller does the I/O).
///
/// An attachment's name comes from the server and is hostile until made safe: it may try to be a path (`../x`,
/// `a/b`), to hide (`.bashrc`), to pass for an option (`-rf`), to disguise its type with a bidirectional override
/// (`evil\u{202E}gpj.exe`), to carry control characters into a terminal, to be longer than a file name may be, or
/// to be no name at all (``, `.`, `..`). `sanitized` turns any of them into one safe path component; `numbered` and
/// `unused` pick `name (1).ext`, `name (2).ext`, … so a download never replaces a file that is already there.
public enum DownloadName {
    /// The longest name a download is saved under, in bytes of UTF-8: the 255 most file systems take, less the
    /// `.part` the file is written to first (a 255-byte name's `.part` could not be created).
    public static let maxBytes = 255 - ".part".utf8.count
    /// What an attachment is saved as when nothing usable is left of its name.
    public static let fallback = "attachment"
    /// The most `(n)` suffixes tried before giving up.
    public static let maxCopies = 9999

    /// One path component safe to create in the current folder: no separator, no control or bidirectional
    /// formatting character (each becomes `_`), no leading dot or dash (prefixed with `_`), no surrounding
    /// whitespace, at most `maxBytes` bytes keeping a short extension, never empty, `.` or `..`.
    public static func sanitized(_ raw: String, maxBytes: Int = maxBytes) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars {
            scalars.append(isUnsafe(scalar) || scalar == "/" || scalar == "\\" ? "_" : scalar)
        }
        var name = String(scalars).trimmingWhitespace()
        if name.allSatisfy({ $0 == "." }) { name = fallback }
        // Scalars, not characters: `.` followed by a combining accent is one character but still a leading dot.
        if let first = name.unicodeScalars.first, first == "." || first == "-" { name = "_" + name }
        return truncated(name, maxBytes: maxBytes)
    }

    /// `name` with ` (n)` before its extension (`notes (2).txt`, `.bashrc (2)`, `archive.tar (2).gz`), shortened
    /// so the result still fits in `maxBytes`. `n` 0 is `name` itself.
    public static func numbered(_ name: String, _ n: Int, maxBytes: Int = maxBytes) -> String {
        guard n > 0 else { return name }
        let (stem, ext) = split(name)
        let mark = " (\(n))"
        return truncated(stem, maxBytes: maxBytes - mark.utf8.count - ext.utf8.count) + mark + ext
    }

    /// The first of `name`, `numbered(name, 1)`, `numbered(name, 2)`, … that `isTaken` says is free, or nil after
    /// `maxCopies` tries.
    public static func unused(_ name: String, maxBytes: Int = maxBytes, isTaken: (String) -> Bool) -> String? {
        for n in 0...maxCopies {
            let candidate = numbered(name, n, maxBytes: maxBytes)
            if !isTaken(candidate) { return candidate }
        }
        return nil
    }

    /// A name as it can be shown in a one-line message: in quotes, unsafe characters written as `\u{…}`.
    public static func shown(_ name: String) -> String {
        var text = "'"
        for scalar in name.unicodeScalars {
            text += isUnsafe(scalar) ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
        }
        return text + "'"
    }

    /// Characters that change how text is shown rather than being shown: C0 and C1 controls (DEL included), line
    /// and paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// Splits off a short extension (at most 16 bytes, after a dot that does not start the name).
    static func split(_ name: String) -> (stem: String, ext: String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex, name[dot...].utf8.count <= 16 else {
            return (name, "")
        }
        return (String(name[..<dot]), String(name[dot...]))
    }

    /// At most `maxBytes` bytes of UTF-8, keeping the extension and cutting the stem on a character boundary
    /// (on a scalar boundary when its first character alone is too long).
    static func truncated(_ name: String, maxBytes: Int) -> String {
        guard name.utf8.count > maxBytes else { return name }
        var (stem, ext) = split(name)
        if ext.utf8.count * 2 > maxBytes { (stem, ext) = (name, "") }
        let budget = maxBytes - ext.utf8.count
        var kept = ""
        for character in stem {
            guard kept.utf8.count + character.utf8.count <= budget else { break }
            kept.append(character)
        }
        if kept.isEmpty {
            for scalar in stem.unicodeScalars {
                guard kept.utf8.count + scalar.utf8.count <= budget else { break }
                kept.unicodeScalars.append(scalar)
            }
        }
        return kept + ext
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
