import Foundation
import TackImage
import TackTestSupport
import Testing
@testable import TackCapture

/// JPEGs encoded in bands on several threads are one baseline stream: restart markers after every MCU row, numbered
/// RST0...RST7 in one sequence across the bands, and the pixels libjpeg-turbo's djpeg and Pillow decode are those of
/// a single-stream encode, so the quality against the captured pixels is too.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct JPEGBandsTests {
    /// The top-left width x height of the capture written as a JPEG (quality 90) on `threads` threads.
    func encode(_ shot: Screenshot, width: Int, height: Int, threads: Int) throws -> String {
        let path = NSTemporaryDirectory() + "jpeg-\(UUID().uuidString).jpg"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        var options = EncodeOptions(jpegQuality: 90)
        options.threads = threads
        try shot.withUnsafeBytes {
            try ImageFileWriter.write($0, width: width, height: height, stride: shot.bytesPerRow, layout: .bgrx,
                                      format: .jpeg, options: options, to: fd)
        }
        return path
    }

    /// The restart interval (DRI, in MCUs) and the restart markers' numbers, in file order.
    func restarts(_ file: [UInt8]) -> (interval: Int?, markers: [Int]) {
        var interval: Int?, markers = [Int](), at = 2
        // Marker segments up to the scan, then the entropy-coded data, where 0xFF is followed by 0x00 or a marker.
        while at + 4 <= file.count, file[at] == 0xFF {
            let marker = file[at + 1], length = Int(file[at + 2]) << 8 | Int(file[at + 3])
            if marker == 0xDD { interval = Int(file[at + 4]) << 8 | Int(file[at + 5]) }
            at += 2 + length
            if marker == 0xDA { break }
        }
        while at + 1 < file.count {
            if file[at] == 0xFF, (0xD0...0xD7).contains(file[at + 1]) { markers.append(Int(file[at + 1]) - 0xD0) }
            at += file[at] == 0xFF ? 2 : 1
        }
        return (interval, markers)
    }

    /// What libjpeg-turbo's own decoder makes of the file, as RGB bytes.
    func djpeg(_ path: String) throws -> [UInt8] {
        let ppm = path + ".ppm"
        defer { try? FileManager.default.removeItem(atPath: ppm) }
        let run = try runProgram("/usr/bin/djpeg", ["-pnm", "-outfile", ppm, path])
        try #require(run.status == 0, "djpeg: \(run.output)")
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: ppm)))
        // "P6", width, height, maxval, each followed by one whitespace byte, then the pixels.
        var fields = 0, at = 0
        while fields < 4, at < data.count {
            while at < data.count, data[at] == 0x20 || data[at] == 0x0A { at += 1 }
            while at < data.count, data[at] != 0x20, data[at] != 0x0A { at += 1 }
            fields += 1
        }
        return Array(data[(at + 1)...])
    }

    func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        let squares = zip(a, b).reduce(0.0) { sum, pair in let d = Double(pair.0) - Double(pair.1); return sum + d * d }
        let mse = squares / Double(a.count)
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }

    @Test(arguments: ScreenScene.allCases, [16, 24, 30])
    func bandsDecodeAsOneImageOfTheSameQuality(_ scene: ScreenScene, depth: Int) throws {
        let (shot, programs) = try scene.capture(depth: depth)
        defer { _ = programs }
        // The whole screen, and a cut whose last band ends inside an MCU row and whose rows end inside an MCU.
        for (width, height) in [(shot.width, shot.height), (1001, 333)] {
            let single = try encode(shot, width: width, height: height, threads: 1)
            let banded = try encode(shot, width: width, height: height, threads: 4)
            defer { for path in [single, banded] { try? FileManager.default.removeItem(atPath: path) } }
            let label = "\(scene), depth \(depth), \(width)x\(height)"

            let (interval, markers) = restarts(Array(try Data(contentsOf: URL(fileURLWithPath: banded))))
            let mcuRows = (height + 15) / 16
            #expect(interval == (width + 15) / 16, "one restart interval per MCU row (\(label))")
            #expect(markers == (0..<mcuRows - 1).map { $0 % 8 }, "RST0...RST7 in one sequence between MCU rows (\(label))")
            #expect(restarts(Array(try Data(contentsOf: URL(fileURLWithPath: single)))).interval == nil)

            let captured = shot.rgb(width: width, height: height)
            let singlePixels = try djpeg(single), bandedPixels = try djpeg(banded)
            #expect(bandedPixels.count == captured.count, "djpeg decodes the whole image (\(label))")
            #expect(bandedPixels == singlePixels, "djpeg decodes the bands as the single stream (\(label))")
            let pillowBanded = try pillowPixels(banded, mode: "RGB")
            #expect(pillowBanded == (try pillowPixels(single, mode: "RGB")), "Pillow decodes the bands as the single stream (\(label))")
            let bandedQuality = psnr(pillowBanded, captured), singleQuality = psnr(singlePixels, captured)
            #expect(abs(bandedQuality - singleQuality) <= 0.3, "\(label): \(bandedQuality) dB banded, \(singleQuality) dB single")
            #expect(bandedQuality > 30, "\(label): \(bandedQuality) dB")
        }
    }
}
