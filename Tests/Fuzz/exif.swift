// libFuzzer target: EXIF orientation. The reader over memory (thumbnails of uploads) and the one over a FILE
// (thumbnails made from stored files) must agree on every input; the TIFF walk is also fed the input directly;
// apply() must permute the pixels of small images of every shape.
import Glibc
import TackCore
@testable import TackImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let fromMemory = ExifOrientation.read(jpeg: bytes)
    precondition((1...8).contains(fromMemory))
    if size > 0 {
        let fromFile = bytes.withUnsafeMutableBytes { buffer -> Int in
            guard let file = fmemopen(buffer.baseAddress, buffer.count, "rb") else { return fromMemory }
            defer { fclose(file) }
            let value = ExifOrientation.read(jpeg: file)
            precondition(ftello(file) == 0, "the file reader did not leave the file where it was")
            return value
        }
        precondition(fromFile == fromMemory, "orientation \(fromMemory) from memory but \(fromFile) from a file")
    }
    if let value = ExifOrientation.fromExif(bytes) { precondition((1...8).contains(value)) }

    let width = 1 + Int(bytes.first ?? 0) % 7, height = 1 + Int(bytes.last ?? 0) % 5
    let image = RGBAImage(width: width, height: height, pixels: (0..<(width * height * 4)).map { UInt8(truncatingIfNeeded: $0 / 4) })
    let turned = ExifOrientation.apply(fromMemory, to: image)
    let expected = fromMemory >= 5 ? (height, width) : (width, height)
    precondition(turned.width == expected.0 && turned.height == expected.1 && turned.pixels.sorted() == image.pixels.sorted())
    return 0
}
