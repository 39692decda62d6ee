// libFuzzer target: PNG bytes through PNGCodec.decode (libpng's simplified API) and Thumbnailer (the row reader in
// Sources/CPNGShim, StreamingResizer, the interlaced accumulator, the encoders), scaled and cropped.
import TackCore
@testable import TackImage

/// Small enough that a fuzzed header cannot make one run take seconds; the production limit is 100 M pixels.
let limits = ImageLimits(maxPixels: 1 << 22, maxWorkingBytes: 64 << 20)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let image = try? PNGCodec.decode(bytes, limits: limits) {
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 4)
    }
    let thumbnailer = Thumbnailer(limits: limits)
    for (box, method) in [(64, ThumbnailMethod.scale), (24, .crop)] {
        guard let thumbnail = try? thumbnailer.thumbnail(of: bytes, size: box, method: method) else { continue }
        precondition((1...box).contains(thumbnail.width) && (1...box).contains(thumbnail.height),
                     "a \(box) px \(method) thumbnail came out \(thumbnail.width)x\(thumbnail.height)")
        precondition(thumbnail.width <= thumbnail.sourceWidth && thumbnail.height <= thumbnail.sourceHeight)
    }
    return 0
}
