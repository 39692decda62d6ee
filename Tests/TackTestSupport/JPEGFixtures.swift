/// Adds segments to a JPEG the way cameras and editors do, for tests about metadata.
public enum JPEGFixtures {
    /// Inserts one marker segment right after SOI.
    public static func inserting(_ marker: UInt8, _ payload: [UInt8], into jpeg: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, 0xD8, 0xFF, marker, UInt8(length >> 8), UInt8(length & 0xff)] + payload + jpeg.dropFirst(2)
    }

    /// Inserts an EXIF APP1 segment holding only the given orientation (little-endian TIFF, as many cameras write).
    public static func withOrientation(_ jpeg: [UInt8], _ value: UInt16) -> [UInt8] {
        var tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00] // little endian, IFD0 at 8
        tiff += [0x01, 0x00]                                                   // one entry
        tiff += [0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00]               // 0x0112 SHORT count 1
        tiff += [UInt8(value & 0xff), UInt8(value >> 8), 0x00, 0x00]
        tiff += [0x00, 0x00, 0x00, 0x00]                                       // no next IFD
        return inserting(0xE1, Array("Exif".utf8) + [0, 0] + tiff, into: jpeg)
    }

    /// An XMP packet carrying a location, and a comment: the metadata people do not mean to share.
    public static func withPrivateMetadata(_ jpeg: [UInt8], secret: String) -> [UInt8] {
        let xmp = Array("http://ns.adobe.com/xap/1.0/\u{0}<x:xmpmeta>".utf8) + Array(secret.utf8)
        return inserting(0xFE, Array("taken at \(secret)".utf8), into: inserting(0xE1, xmp, into: jpeg))
    }
}
