/// Whether a picture looks like text: lines of thin glyphs on a plain background, as a screenshot of a terminal, a
/// page or a chat, or a rendered or scanned document shows them. tackd reads such images by OCR even when they were
/// not sent as screenshots; photos are left alone, since OCR costs seconds of CPU and finds only noise in them.
///
/// The test is a few cheap measures over a grey copy of the picture, each of which a photo fails for its own reason:
/// - most pixels share one tone (the background): a photo's tones spread;
/// - some pixels stand out from it (ink), but not most;
/// - ink comes in short horizontal runs (strokes), where a photo's subject on a plain backdrop is a solid shape;
/// - ink sits in bands of rows separated by empty rows (lines of text), looked for in vertical strips so that columns
///   side by side (two terminals, a sidebar) need not share their line breaks.
public struct TextLikeness: Sendable, Equatable {
    /// Share of pixels within a few levels of the commonest grey.
    public var backgroundShare: Double
    /// Share of pixels far from the background.
    public var inkShare: Double
    /// Average length of a horizontal run of ink, in pixels.
    public var meanInkRun: Double
    /// Bands of rows holding ink, as tall as lines of text, found across all strips.
    public var textLines: Int
    /// Share of the ink that lies in those bands.
    public var inkInLines: Double

    /// Levels either side of the commonest grey that still count as background (anti-aliasing, JPEG noise).
    static let backgroundTolerance = 10
    /// How far from the background a pixel must be to be ink.
    static let inkContrast = 64
    /// A line of text is this many rows tall at least, and at most (headings included, at the analysed scale).
    static let lineHeights = 4...96
    /// Strips are this wide at most, so that columns of text side by side are looked at apart.
    static let stripWidth = 320

    /// True when the measures say text: thresholds set from real screenshots, rendered pages and photos (see
    /// TextLikenessTests), with room on both sides. Text measured 0.86 to 0.93 background, 5 to 9 % ink in runs of
    /// about 2 pixels, 99.9 % of it in lines; the nearest photo, Debian's close-up of wood grain, has lines of specks
    /// too (91 % of its ink) but only 0.17 % ink, a third of the floor: a screen with fewer than a few hundred
    /// characters on it is not worth seconds of OCR anyway.
    public var looksLikeText: Bool {
        backgroundShare >= 0.5 && (0.005...0.45).contains(inkShare) && meanInkRun <= 8 && textLines >= 4
            && inkInLines >= 0.6
    }

    /// Measures `image` (at most a couple of thousand pixels a side is plenty: glyphs must stay a few pixels tall).
    /// Transparent pixels count as white, as a viewer shows them.
    public init(_ image: RGBAImage) {
        let (width, height) = (image.width, image.height)
        let count = width * height
        guard count > 0 else {
            self.init(backgroundShare: 0, inkShare: 0, meanInkRun: 0, textLines: 0, inkInLines: 0)
            return
        }
        var grey = [UInt8](repeating: 0, count: count)
        var histogram = [Int](repeating: 0, count: 256)
        image.pixels.withUnsafeBufferPointer { rgba in
            for i in 0..<count {
                let (r, g, b, a) = (Int(rgba[4 * i]), Int(rgba[4 * i + 1]), Int(rgba[4 * i + 2]), Int(rgba[4 * i + 3]))
                let y = (77 * r + 150 * g + 29 * b) >> 8
                let level = (y * a + 255 * (255 - a)) / 255
                grey[i] = UInt8(level)
                histogram[level] += 1
            }
        }
        // The background: the grey whose neighbourhood of ±tolerance levels holds the most pixels.
        let tolerance = Self.backgroundTolerance
        var best = (level: 0, pixels: -1)
        for level in 0..<256 {
            let pixels = histogram[max(0, level - tolerance)...min(255, level + tolerance)].reduce(0, +)
            if pixels > best.pixels { best = (level, pixels) }
        }
        let background = best.level
        let contrast = Self.inkContrast

        var ink = 0
        var runs = 0
        // Ink per row of each strip, for the line bands.
        let strips = max(1, (width + Self.stripWidth - 1) / Self.stripWidth)
        var rowInk = [Int](repeating: 0, count: strips * height)
        grey.withUnsafeBufferPointer { grey in
            for y in 0..<height {
                var inRun = false
                for x in 0..<width {
                    let isInk = abs(Int(grey[y * width + x]) - background) >= contrast
                    if isInk {
                        ink += 1
                        rowInk[(x * strips / width) * height + y] += 1
                        if !inRun { runs += 1 }
                    }
                    inRun = isInk
                }
            }
        }
        // Bands: rows with ink in a strip, between rows without. A stray pixel does not join two lines: a row needs
        // two pixels of ink to count.
        var lines = 0
        var inkInLines = 0
        for strip in 0..<strips {
            var start: Int?
            var bandInk = 0
            for y in 0...height {
                let pixels = y < height ? rowInk[strip * height + y] : 0
                if pixels >= 2 {
                    if start == nil { start = y; bandInk = 0 }
                    bandInk += pixels
                } else if let top = start {
                    if Self.lineHeights.contains(y - top) {
                        lines += 1
                        inkInLines += bandInk
                    }
                    start = nil
                }
            }
        }
        self.init(backgroundShare: Double(best.pixels) / Double(count), inkShare: Double(ink) / Double(count),
                  meanInkRun: runs == 0 ? 0 : Double(ink) / Double(runs), textLines: lines,
                  inkInLines: ink == 0 ? 0 : Double(inkInLines) / Double(ink))
    }

    public init(backgroundShare: Double, inkShare: Double, meanInkRun: Double, textLines: Int, inkInLines: Double) {
        self.backgroundShare = backgroundShare
        self.inkShare = inkShare
        self.meanInkRun = meanInkRun
        self.textLines = textLines
        self.inkInLines = inkInLines
    }
}
