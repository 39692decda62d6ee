import Foundation

/// The EXIF orientation of a JPEG (1-8), read from its APP1 segment without decoding pixels.
public enum ExifOrientation {
    /// 1 (as stored) when the file has no EXIF orientation or a malformed one.
    public static func read(jpeg bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { read(jpeg: $0) }
    }

    /// The same, over bytes in memory: walks the segments before the first scan, reading only APP1 payloads.
    static func read(jpeg bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var offset = 2
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return 1 }
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue } // fill byte before a marker
            if marker == 0xD9 || marker == 0xDA { break } // end of image, start of scan: no more metadata
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2, offset + 2 + length <= bytes.count else { break }
            if marker == 0xE1, let value = fromExif(Array(bytes[(offset + 4)..<(offset + 2 + length)])) { return value }
            offset += 2 + length
        }
        return 1
    }

    /// The same, from an open file, which is left where it was: one segment header read at a time, the rest
    /// skipped by seeking, so nothing larger than one APP1 payload (64 KiB) is ever held.
    static func read(jpeg file: UnsafeMutablePointer<FILE>) -> Int {
        let start = ftello(file)
        defer { fseeko(file, start, SEEK_SET) }
        var head = [UInt8](repeating: 0, count: 4)
        guard fread(&head, 1, 2, file) == 2, head[0] == 0xFF, head[1] == 0xD8 else { return 1 }
        while fread(&head, 1, 2, file) == 2, head[0] == 0xFF {
            var marker = head[1]
            while marker == 0xFF { // fill bytes
                guard fread(&head, 1, 1, file) == 1 else { return 1 }
                marker = head[0]
            }
            if marker == 0xD9 || marker == 0xDA { break }
            guard fread(&head, 1, 2, file) == 2 else { break }
            let length = Int(head[0]) << 8 | Int(head[1])
            guard length >= 2 else { break }
            if marker == 0xE1 {
                var payload = [UInt8](repeating: 0, count: length - 2)
                guard fread(&payload, 1, payload.count, file) == payload.count else { break }
                if let value = fromExif(payload) { return value }
            } else if fseeko(file, off_t(length - 2), SEEK_CUR) != 0 {
                break
            }
        }
        return 1
    }

    /// Parses the TIFF structure after `Exif\0\0` and finds tag 0x0112 in IFD0.
    static func fromExif(_ segment: [UInt8]) -> Int? {
        guard segment.count > 14, segment.starts(with: Array("Exif".utf8) + [0, 0]) else { return nil }
        let tiff = Array(segment[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard let ifd = u32(4), let count = u16(ifd), count < 1000 else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112, let value = u16(at + 8), (1...8).contains(value) { return value }
        }
        return nil
    }

    /// Turns stored pixels upright for orientation 1-8 (EXIF 2.3, tag 0x0112).
    public static func apply(_ value: Int, to image: RGBAImage) -> RGBAImage {
        guard (2...8).contains(value) else { return image }
        let w = image.width, h = image.height
        let transposed = value >= 5
        let outW = transposed ? h : w, outH = transposed ? w : h
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    for x in 0..<outW {
                        // Where the upright pixel (x, y) is stored.
                        let (sx, sy): (Int, Int)
                        switch value {
                        case 2: (sx, sy) = (w - 1 - x, y)
                        case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case 4: (sx, sy) = (x, h - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, h - 1 - x)
                        case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                        default: (sx, sy) = (w - 1 - y, x) // 8
                        }
                        let s = (sy * w + sx) * 4, d = (y * outW + x) * 4
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]; dst[d + 3] = src[s + 3]
                    }
                }
            }
        }
        return RGBAImage(width: outW, height: outH, pixels: out)
    }
}
