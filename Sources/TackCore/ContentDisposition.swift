import Foundation

/// Reads the file name from a request's `Content-Disposition` (RFC 6266, with RFC 8187 `filename*`),
/// and writes a safe one for responses.
public enum ContentDisposition {
    /// The file name the header carries: `filename*` (UTF-8, percent-encoded) wins over `filename`.
    /// Nil when the header names no file; an error when it does so in a broken way.
    public static func fileName(fromHeader header: String) throws(TackError) -> String? {
        let values = try Self.parameters(header)
        if let extended = values["filename*"] {
            return try decodeExtended(extended)
        }
        return values["filename"]
    }

    /// `attachment` or `inline`, with an ASCII fallback and the exact name as `filename*`.
    public static func header(inline: Bool, fileName: String) -> String {
        let fallback = String(fileName.unicodeScalars.map { scalar -> Character in
            if scalar.isASCII, scalar.value >= 0x20, scalar.value != 0x7F, scalar != "\"", scalar != "\\", scalar != "%" {
                return Character(scalar)
            }
            return "_"
        })
        return "\(inline ? "inline" : "attachment"); filename=\"\(fallback)\"; filename*=UTF-8''\(percentEncoded(fileName))"
    }

    /// RFC 8187 attr-char: everything else is percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where "!#$&+-.^_`|~".utf8.contains(byte):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Splits `type; key=value; key="quoted"` into lowercase keys and unquoted values.
    public static func parameters(_ header: String) throws(TackError) -> [String: String] {
        var result: [String: String] = [:]
        var scalars = Substring(header).unicodeScalars[...]
        // Disposition type.
        while let first = scalars.first, first != ";" { scalars.removeFirst() }
        while !scalars.isEmpty {
            scalars.removeFirst() // ";"
            while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
            var key = ""
            while let c = scalars.first, c != "=", c != ";" { key.unicodeScalars.append(c); scalars.removeFirst() }
            key = key.trimmingCharacters(in: .whitespaces).lowercased()
            guard scalars.first == "=" else {
                if key.isEmpty { continue }
                throw .invalid(.invalidContentDisposition, "Content-Disposition parameter '\(key)' has no value")
            }
            scalars.removeFirst()
            var value = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                var closed = false
                while let c = scalars.first {
                    scalars.removeFirst()
                    if c == "\\", let escaped = scalars.first {
                        value.unicodeScalars.append(escaped)
                        scalars.removeFirst()
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.unicodeScalars.append(c)
                    }
                }
                guard closed else {
                    throw .invalid(.invalidContentDisposition, "Content-Disposition has an unterminated quoted string")
                }
                while let c = scalars.first, c != ";" { scalars.removeFirst() }
            } else {
                while let c = scalars.first, c != ";" { value.unicodeScalars.append(c); scalars.removeFirst() }
                value = value.trimmingCharacters(in: .whitespaces)
            }
            if !key.isEmpty { result[key] = value }
        }
        return result
    }

    /// `UTF-8'lang'percent-encoded` (RFC 8187). Only UTF-8 is accepted: ISO-8859-1 names are vanishingly rare.
    static func decodeExtended(_ value: String) throws(TackError) -> String {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .invalid(.invalidContentDisposition, "filename* must look like UTF-8''name (RFC 8187)")
        }
        guard parts[0].lowercased() == "utf-8" else {
            throw .invalid(.invalidContentDisposition, "filename* charset '\(parts[0])' is not supported; use UTF-8")
        }
        var bytes: [UInt8] = []
        var utf8 = parts[2].utf8[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard let h = utf8.popFirst(), let l = utf8.popFirst(),
                      let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
                else {
                    throw .invalid(.invalidContentDisposition, "filename* has a broken percent escape")
                }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalid(.invalidContentDisposition, "filename* is not valid UTF-8")
        }
        return text
    }
}
