/// Which pixels of a decoded image a thumbnail is made from, and how they shrink: a rectangle of the decoded image
/// (all of it for `scale`, the centred part the square shows for `crop`), whole blocks of `factorX` x `factorY`
/// pixels averaged into one (the box shrink that takes large reductions to between two and four times the
/// output), then Lanczos-3 to the output size.
struct ResizePlan: Equatable, Sendable {
    var cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int
    var factorX: Int, factorY: Int
    var outputWidth: Int, outputHeight: Int

    var shrunkWidth: Int { cropWidth / factorX }
    var shrunkHeight: Int { cropHeight / factorY }

    /// - decoded: the size rows arrive at (a JPEG's DCT-scaled size), in the orientation they are stored in.
    /// - box: what the whole image would resample to; output: the part of the box that is kept (the box itself for
    ///   `scale`, the centred square for `crop`). All in the stored orientation.
    init(decodedWidth: Int, decodedHeight: Int, boxWidth: Int, boxHeight: Int, outputWidth: Int, outputHeight: Int) {
        // The source rectangle the output shows, in decoded pixels: cropping happens before any pixel is touched.
        func span(_ decoded: Int, _ box: Int, _ output: Int) -> Int {
            guard output < box else { return decoded }
            return min(decoded, max(output, Int((Double(output) * Double(decoded) / Double(box)).rounded())))
        }
        let width = span(decodedWidth, boxWidth, outputWidth), height = span(decodedHeight, boxHeight, outputHeight)
        factorX = max(1, width / outputWidth / 2)
        factorY = max(1, height / outputHeight / 2)
        // Whole blocks only; the few pixels left over are shared between both edges.
        cropWidth = width / factorX * factorX
        cropHeight = height / factorY * factorY
        cropX = (decodedWidth - cropWidth) / 2
        cropY = (decodedHeight - cropHeight) / 2
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
    }
}

/// Makes a thumbnail from rows as they are decoded, holding only the output, one row of block sums, and the
/// handful of shrunk rows Lanczos-3 needs at a time: memory follows the output, never the source.
///
/// Rows go in top to bottom (`push(row:_:)`); each is cut to the plan's rectangle, summed into blocks
/// (premultiplied by alpha, so transparent pixels lend no colour), and every finished block row is resampled
/// horizontally into a ring of rows, from which each output row is resampled vertically as soon as its last
/// input row has arrived. `isComplete` turns true once the last output row is written: rows below the rectangle
/// need not be decoded at all.
final class StreamingResizer {
    let plan: ResizePlan
    /// True when every pixel has alpha 255 (a JPEG, a PNG without alpha or tRNS): premultiplying is skipped.
    let opaque: Bool
    /// Bytes this resizer allocated (sums, rows, ring, tables, output): what a thumbnail costs beyond the codec.
    let workingBytes: Int

    private let shrunkWidth: Int, shrunkHeight: Int, outputWidth: Int, outputHeight: Int
    private let horizontal: Table, vertical: Table
    private let ringRows: Int
    private let sums: UnsafeMutablePointer<SIMD4<UInt64>>
    private let line: UnsafeMutablePointer<SIMD4<Float>>
    private let ring: UnsafeMutablePointer<SIMD4<Float>>
    private let column: UnsafeMutablePointer<SIMD4<Float>>
    private let pixels: UnsafeMutablePointer<UInt8>
    private var rowsInBlock = 0
    private var shrunkRows = 0
    private(set) var outputRows = 0

    /// Lanczos weights as flat pointers (no array bounds checks in the inner loops).
    struct Table {
        let start: UnsafeMutablePointer<Int>, count: UnsafeMutablePointer<Int>, weights: UnsafeMutablePointer<Float>
        let stride: Int, size: Int

        init(source: Int, target: Int) {
            let table = Resampler.contributions(source: source, target: target)
            stride = table.stride
            size = target
            start = .allocate(capacity: target)
            count = .allocate(capacity: target)
            weights = .allocate(capacity: max(1, table.weights.count))
            for i in 0..<target { start[i] = Int(table.start[i]); count[i] = Int(table.count[i]) }
            table.weights.withUnsafeBufferPointer { weights.initialize(from: $0.baseAddress!, count: $0.count) }
        }

        var bytes: Int { size * (2 * 8 + stride * 4) }

        func free() { start.deallocate(); count.deallocate(); weights.deallocate() }
    }

    init(plan: ResizePlan, opaque: Bool) {
        self.plan = plan
        self.opaque = opaque
        shrunkWidth = plan.shrunkWidth
        shrunkHeight = plan.shrunkHeight
        outputWidth = plan.outputWidth
        outputHeight = plan.outputHeight
        horizontal = Table(source: shrunkWidth, target: outputWidth)
        vertical = Table(source: shrunkHeight, target: outputHeight)
        // Output row y needs shrunk rows start[y] ..< start[y] + count[y], never more than `stride` of them.
        ringRows = min(shrunkHeight, vertical.stride)
        sums = .allocate(capacity: shrunkWidth)
        sums.initialize(repeating: .zero, count: shrunkWidth)
        line = .allocate(capacity: shrunkWidth)
        ring = .allocate(capacity: ringRows * outputWidth)
        column = .allocate(capacity: outputWidth)
        pixels = .allocate(capacity: outputWidth * outputHeight * 4)
        pixels.initialize(repeating: 0, count: outputWidth * outputHeight * 4)
        workingBytes = shrunkWidth * (32 + 16) + (ringRows + 1) * outputWidth * 16 + outputWidth * outputHeight * 4
            + horizontal.bytes + vertical.bytes
    }

    deinit {
        sums.deallocate(); line.deallocate(); ring.deallocate(); column.deallocate(); pixels.deallocate()
        horizontal.free(); vertical.free()
    }

    var isComplete: Bool { outputRows == outputHeight }

    /// Whether decoded row `y` lies in the rectangle (rows outside it are dropped by `push`).
    func wants(row y: Int) -> Bool { y >= plan.cropY && y < plan.cropY + plan.cropHeight }

    /// One decoded row of RGBA pixels (at least cropX + cropWidth of them), rows in order from the top.
    func push(row y: Int, _ row: UnsafePointer<UInt8>) {
        guard wants(row: y), !isComplete else { return }
        let fx = plan.factorX, fy = plan.factorY
        let source = row + plan.cropX * 4
        if fx == 1 && fy == 1 {
            // No box stage: premultiply straight into the line.
            for x in 0..<shrunkWidth { line[x] = Self.premultiplied(source + x * 4, opaque: opaque) }
            emitLine()
            return
        }
        var p = source
        if opaque {
            for x in 0..<shrunkWidth {
                var block = SIMD4<UInt32>.zero
                for _ in 0..<fx {
                    block &+= SIMD4<UInt32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD4<UInt8>.self))
                    p += 4
                }
                sums[x] &+= SIMD4<UInt64>(truncatingIfNeeded: block)
            }
        } else {
            for x in 0..<shrunkWidth {
                var block = SIMD4<UInt64>.zero
                for _ in 0..<fx {
                    let pixel = SIMD4<UInt64>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD4<UInt8>.self))
                    let alpha = pixel[3]
                    block &+= SIMD4(pixel[0] &* alpha, pixel[1] &* alpha, pixel[2] &* alpha, alpha)
                    p += 4
                }
                sums[x] &+= block
            }
        }
        rowsInBlock += 1
        guard rowsInBlock == fy else { return }
        rowsInBlock = 0
        let area = Float(fx * fy)
        // Opaque sums are plain colour sums; otherwise colour x alpha: both come out premultiplied, alpha 0-255.
        let scale = opaque ? SIMD4<Float>(repeating: 1 / area) : SIMD4(1 / (area * 255), 1 / (area * 255), 1 / (area * 255), 1 / area)
        for x in 0..<shrunkWidth {
            let s = sums[x]
            line[x] = SIMD4(Float(s[0]), Float(s[1]), Float(s[2]), Float(s[3])) * scale
            sums[x] = .zero
        }
        emitLine()
    }

    /// One shrunk row made elsewhere (the interlaced path): `fill` writes `shrunkWidth` premultiplied pixels.
    func pushShrunk(_ fill: (UnsafeMutablePointer<SIMD4<Float>>) -> Void) {
        guard !isComplete else { return }
        fill(line)
        emitLine()
    }

    /// One pixel as premultiplied floats: colour x alpha / 255, alpha 0-255. Computed exactly as the block sums of
    /// the box stage and the interlaced grid are (integer products, then one scale), so every path agrees bit for bit.
    @inline(__always) static func premultiplied(_ p: UnsafePointer<UInt8>, opaque: Bool) -> SIMD4<Float> {
        let pixel = SIMD4<Int32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD4<UInt8>.self))
        if opaque { return SIMD4<Float>(pixel) }
        let alpha = pixel[3]
        return SIMD4<Float>(SIMD4(pixel[0] &* alpha, pixel[1] &* alpha, pixel[2] &* alpha, alpha)) * SIMD4(1 / 255, 1 / 255, 1 / 255, 1)
    }

    /// Resamples `line` horizontally into the ring, then writes every output row whose inputs are all there.
    private func emitLine() {
        let index = shrunkRows
        shrunkRows += 1
        let target = ring + (index % ringRows) * outputWidth
        for x in 0..<outputWidth {
            let start = horizontal.start[x], count = horizontal.count[x]
            let weights = horizontal.weights + x * horizontal.stride
            // Two sums, so consecutive taps do not wait on each other's additions.
            var even = SIMD4<Float>.zero, odd = SIMD4<Float>.zero
            var k = 0
            while k + 1 < count {
                even += line[start + k] * weights[k]
                odd += line[start + k + 1] * weights[k + 1]
                k += 2
            }
            if k < count { even += line[start + k] * weights[k] }
            target[x] = even + odd
        }
        while outputRows < outputHeight, vertical.start[outputRows] + vertical.count[outputRows] <= shrunkRows {
            writeOutputRow(outputRows)
            outputRows += 1
        }
    }

    private func writeOutputRow(_ y: Int) {
        let start = vertical.start[y], count = vertical.count[y]
        let weights = vertical.weights + y * vertical.stride
        for x in 0..<outputWidth { column[x] = .zero }
        for k in 0..<count {
            let weight = weights[k]
            let source = ring + ((start + k) % ringRows) * outputWidth
            for x in 0..<outputWidth { column[x] += source[x] * weight }
        }
        let row = pixels + y * outputWidth * 4
        for x in 0..<outputWidth {
            let sum = column[x]
            let alpha = min(255, max(0, sum[3]))
            if opaque {
                row[x * 4] = Resampler.clamp(sum[0]); row[x * 4 + 1] = Resampler.clamp(sum[1])
                row[x * 4 + 2] = Resampler.clamp(sum[2]); row[x * 4 + 3] = 255
            } else {
                if alpha > 0.5 {
                    let unpremultiply = 255 / alpha
                    row[x * 4] = Resampler.clamp(sum[0] * unpremultiply)
                    row[x * 4 + 1] = Resampler.clamp(sum[1] * unpremultiply)
                    row[x * 4 + 2] = Resampler.clamp(sum[2] * unpremultiply)
                }
                row[x * 4 + 3] = Resampler.clamp(alpha)
            }
        }
    }

    /// The finished output (every output row written; rows never fed stay transparent black).
    func image() -> RGBAImage {
        RGBAImage(width: outputWidth, height: outputHeight,
                  pixels: Array(UnsafeBufferPointer(start: pixels, count: outputWidth * outputHeight * 4)))
    }
}

/// An interlaced (Adam7) PNG's pixels arrive pass by pass, each pass a sparse sample of the whole image, so no
/// row is final before the last pass. Box sums do not care about order: every pixel is added to its block as it
/// arrives, in a grid of block sums the size of the shrunk image (not the source), and when the passes are done
/// the grid feeds the resizer row by row.
final class InterlacedAccumulator {
    let plan: ResizePlan
    let opaque: Bool
    let workingBytes: Int
    private let wide: Bool
    private let narrowSums: UnsafeMutablePointer<SIMD4<UInt32>>?
    private let wideSums: UnsafeMutablePointer<SIMD4<UInt64>>?
    private let cells: Int

    /// Bytes the grid of block sums takes for a plan.
    static func gridBytes(_ plan: ResizePlan) -> Int {
        let cells = plan.shrunkWidth * plan.shrunkHeight
        return cells * (isWide(plan) ? 32 : 16)
    }

    /// 32-bit sums hold a block's colour x alpha up to 66051 pixels (255 x 255 each); bigger blocks take 64 bits.
    static func isWide(_ plan: ResizePlan) -> Bool { plan.factorX * plan.factorY > Int(UInt32.max) / (255 * 255) }

    init(plan: ResizePlan, opaque: Bool) {
        self.plan = plan
        self.opaque = opaque
        cells = plan.shrunkWidth * plan.shrunkHeight
        wide = Self.isWide(plan)
        workingBytes = Self.gridBytes(plan)
        if wide {
            wideSums = .allocate(capacity: cells)
            wideSums!.initialize(repeating: .zero, count: cells)
            narrowSums = nil
        } else {
            narrowSums = .allocate(capacity: cells)
            narrowSums!.initialize(repeating: .zero, count: cells)
            wideSums = nil
        }
    }

    deinit { narrowSums?.deallocate(); wideSums?.deallocate() }

    /// Adam7: first column, column step, first row, row step of each pass.
    static let passes: [(x: Int, dx: Int, y: Int, dy: Int)] = [
        (0, 8, 0, 8), (4, 8, 0, 8), (0, 4, 4, 8), (2, 4, 0, 4), (0, 2, 2, 4), (1, 2, 0, 2), (0, 1, 1, 2),
    ]

    /// Row `row` of pass `pass` (its reduced image's pixels, `count` of them).
    func add(pass: Int, row: Int, count: Int, _ pixels: UnsafePointer<UInt8>) {
        let geometry = Self.passes[pass]
        let y = geometry.y + row * geometry.dy - plan.cropY
        guard y >= 0, y < plan.cropHeight else { return }
        let cellRow = (y / plan.factorY) * plan.shrunkWidth
        // Pixels of this row inside the rectangle: x = geometry.x + i * dx in cropX ..< cropX + cropWidth.
        let first = max(0, (plan.cropX - geometry.x + geometry.dx - 1) / geometry.dx)
        let end = min(count, (plan.cropX + plan.cropWidth - geometry.x + geometry.dx - 1) / geometry.dx)
        guard first < end else { return }
        for i in first..<end {
            let x = geometry.x + i * geometry.dx - plan.cropX
            let cell = cellRow + x / plan.factorX
            let pixel = SIMD4<UInt64>(truncatingIfNeeded: UnsafeRawPointer(pixels + i * 4).loadUnaligned(as: SIMD4<UInt8>.self))
            let value = opaque ? pixel : SIMD4(pixel[0] &* pixel[3], pixel[1] &* pixel[3], pixel[2] &* pixel[3], pixel[3])
            if wide { wideSums![cell] &+= value } else { narrowSums![cell] &+= SIMD4<UInt32>(truncatingIfNeeded: value) }
        }
    }

    /// Hands the grid to `resizer`, one shrunk row at a time.
    func drain(into resizer: StreamingResizer) {
        let area = Float(plan.factorX * plan.factorY)
        let scale = opaque ? SIMD4<Float>(repeating: 1 / area) : SIMD4(1 / (area * 255), 1 / (area * 255), 1 / (area * 255), 1 / area)
        for y in 0..<plan.shrunkHeight {
            let base = y * plan.shrunkWidth
            resizer.pushShrunk { line in
                for x in 0..<plan.shrunkWidth {
                    let s: SIMD4<Float>
                    if wide {
                        let v = wideSums![base + x]; s = SIMD4(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]))
                    } else {
                        let v = narrowSums![base + x]; s = SIMD4(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]))
                    }
                    line[x] = s * scale
                }
            }
        }
    }
}
