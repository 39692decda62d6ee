import Foundation

/// Lanczos-3 downscaling (the filter Pillow and libvips use for quality thumbnails), separable, on
/// premultiplied alpha so transparent pixels never bleed their colour into visible ones.
public enum Resampler {
    struct Contributions {
        var start: [Int32] = []
        var count: [Int32] = []
        var weights: [Float] = []
        var stride = 0
    }

    static func lanczos(_ x: Double) -> Double {
        if x == 0 { return 1 }
        guard abs(x) < 3 else { return 0 }
        let px = Double.pi * x
        return 3 * sin(px) * sin(px / 3) / (px * px)
    }

    static func contributions(source: Int, target: Int) -> Contributions {
        let scale = Double(source) / Double(target)
        let filterScale = max(scale, 1)
        let support = 3 * filterScale
        var table = Contributions()
        table.stride = Int(ceil(support)) * 2 + 1
        table.weights = [Float](repeating: 0, count: table.stride * target)
        for x in 0..<target {
            let center = (Double(x) + 0.5) * scale
            let first = max(0, Int(floor(center - support)))
            let last = min(source - 1, Int(ceil(center + support)))
            var sum = 0.0
            var weights: [Double] = []
            for i in first...max(first, last) {
                let w = lanczos((Double(i) + 0.5 - center) / filterScale)
                weights.append(w)
                sum += w
            }
            let count = min(weights.count, table.stride)
            for k in 0..<count { table.weights[x * table.stride + k] = Float(sum == 0 ? 0 : weights[k] / sum) }
            table.start.append(Int32(first))
            table.count.append(Int32(count))
        }
        return table
    }

    /// Reduces to exactly `width` x `height`. Large reductions first average whole blocks (as libvips does), so
    /// Lanczos only has the last 2-4x to do: the same look at a fraction of the work.
    public static func resize(_ image: RGBAImage, width: Int, height: Int) -> RGBAImage {
        let factor = min(image.width / max(width, 1), image.height / max(height, 1)) / 2
        let shrunk = factor >= 2 ? boxShrink(image, by: factor) : image
        return lanczos3(shrunk, width: width, height: height)
    }

    /// Averages `factor` x `factor` blocks (premultiplied, so transparency does not darken edges).
    static func boxShrink(_ image: RGBAImage, by factor: Int) -> RGBAImage {
        let outW = image.width / factor, outH = image.height / factor
        var out = [UInt8](repeating: 0, count: outW * outH * 4)
        // 64-bit sums: a block of factor² pixels at up to 255 x 255 each passes 2³² once factor reaches 258, which a
        // very wide PNG (180000 x 540 to 320 px) does.
        var sums = [UInt64](repeating: 0, count: outW * 4)
        let area = UInt64(factor * factor)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    for i in 0..<sums.count { sums[i] = 0 }
                    for row in (y * factor)..<(y * factor + factor) {
                        var p = row * image.width * 4
                        for x in 0..<outW {
                            var r: UInt64 = 0, g: UInt64 = 0, b: UInt64 = 0, a: UInt64 = 0
                            for _ in 0..<factor {
                                let alpha = UInt64(src[p + 3])
                                r += UInt64(src[p]) * alpha; g += UInt64(src[p + 1]) * alpha; b += UInt64(src[p + 2]) * alpha
                                a += alpha
                                p += 4
                            }
                            sums[x * 4] += r; sums[x * 4 + 1] += g; sums[x * 4 + 2] += b; sums[x * 4 + 3] += a
                        }
                    }
                    for x in 0..<outW {
                        let o = (y * outW + x) * 4, a = sums[x * 4 + 3]
                        if a > 0 {
                            dst[o] = UInt8((sums[x * 4] + a / 2) / a)
                            dst[o + 1] = UInt8((sums[x * 4 + 1] + a / 2) / a)
                            dst[o + 2] = UInt8((sums[x * 4 + 2] + a / 2) / a)
                        }
                        dst[o + 3] = UInt8((a + area / 2) / area)
                    }
                }
            }
        }
        return RGBAImage(width: outW, height: outH, pixels: out)
    }

    public static func lanczos3(_ image: RGBAImage, width: Int, height: Int) -> RGBAImage {
        guard width != image.width || height != image.height else { return image }
        let horizontal = contributions(source: image.width, target: width)
        let vertical = contributions(source: image.height, target: height)
        let srcW = image.width, srcH = image.height
        var middle = [SIMD4<Float>](repeating: .zero, count: width * srcH)
        var out = [UInt8](repeating: 0, count: width * height * 4)
        image.pixels.withUnsafeBufferPointer { srcBuffer in
            middle.withUnsafeMutableBufferPointer { midBuffer in
                out.withUnsafeMutableBufferPointer { dstBuffer in
                    // nonisolated(unsafe): each parallel band below writes only its own rows of these buffers,
                    // and the buffers outlive the concurrentPerform calls that use them.
                    nonisolated(unsafe) let src = srcBuffer.baseAddress!
                    nonisolated(unsafe) let mid = midBuffer.baseAddress!
                    nonisolated(unsafe) let dst = dstBuffer.baseAddress!
                    // Pass 1: rows to the new width, premultiplied, four channels at a time.
                    inBands(of: srcH) { rows in
                        var line = [SIMD4<Float>](repeating: .zero, count: srcW)
                        line.withUnsafeMutableBufferPointer { line in
                            for y in rows {
                                let row = src + y * srcW * 4
                                for x in 0..<srcW {
                                    let alpha = Float(row[x * 4 + 3])
                                    let scale = alpha * (1 / 255)
                                    line[x] = SIMD4(Float(row[x * 4]) * scale, Float(row[x * 4 + 1]) * scale,
                                                    Float(row[x * 4 + 2]) * scale, alpha)
                                }
                                for x in 0..<width {
                                    let start = Int(horizontal.start[x]), count = Int(horizontal.count[x])
                                    let weights = x * horizontal.stride
                                    var sum = SIMD4<Float>.zero
                                    for k in 0..<count { sum += line[start + k] * horizontal.weights[weights + k] }
                                    mid[y * width + x] = sum
                                }
                            }
                        }
                    }
                    // Pass 2: columns to the new height, a whole row at a time (contiguous reads), then back to
                    // straight alpha.
                    inBands(of: height) { rows in
                        var sums = [SIMD4<Float>](repeating: .zero, count: width)
                        sums.withUnsafeMutableBufferPointer { sums in
                            for y in rows {
                                for x in 0..<width { sums[x] = .zero }
                                let start = Int(vertical.start[y]), count = Int(vertical.count[y])
                                for k in 0..<count {
                                    let weight = vertical.weights[y * vertical.stride + k]
                                    let source = mid + (start + k) * width
                                    for x in 0..<width { sums[x] += source[x] * weight }
                                }
                                let row = dst + y * width * 4
                                for x in 0..<width {
                                    let sum = sums[x]
                                    let alpha = min(255, max(0, sum[3]))
                                    if alpha > 0.5 {
                                        let unpremultiply = 255 / alpha
                                        row[x * 4] = clamp(sum[0] * unpremultiply)
                                        row[x * 4 + 1] = clamp(sum[1] * unpremultiply)
                                        row[x * 4 + 2] = clamp(sum[2] * unpremultiply)
                                    }
                                    row[x * 4 + 3] = clamp(alpha)
                                }
                            }
                        }
                    }
                }
            }
        }
        return RGBAImage(width: width, height: height, pixels: out)
    }

    /// Runs `body` over `count` rows split into one band per core (one band when the work is small).
    static func inBands(of count: Int, _ body: (Range<Int>) -> Void) {
        let bands = count < 64 ? 1 : min(count / 32, max(1, ProcessInfo.processInfo.activeProcessorCount))
        guard bands > 1 else { return body(0..<count) }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                work((count * band / bands)..<(count * (band + 1) / bands))
            }
        }
    }

    @inline(__always) static func clamp(_ value: Float) -> UInt8 {
        UInt8(max(0, min(255, value + 0.5)))
    }
}
