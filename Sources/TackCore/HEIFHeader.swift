/// What a HEIF file (HEIC, AVIF) says about its pictures before any of them is decoded: the primary image's size as
/// shown, how many pixels a decoder of its top-level images would make, its codec and sample depth. Read from the
/// boxes alone, so the pixel limit is applied before libheif allocates anything.
public struct HEIFHeader: Sendable, Equatable {
    /// The primary image's size as it is shown: rotated by its `irot` when that turns it a quarter.
    public var width: Int
    public var height: Int
    /// The pixels `heif-convert` decodes: every top-level image (the primary and any others, not thumbnails, auxiliary
    /// images or tiles), summed, or the largest size any item declares when that is more.
    public var decodedPixels: Int
    /// How many top-level images the file holds; `heif-convert` writes one picture for each.
    public var topLevelImages: Int
    /// `hevc` or `av1` for a coded primary image; nil for a derived one (a grid of tiles, an overlay).
    public var codec: String?
    /// How the primary image's YCbCr samples map to RGB (its `colr` box of type `nclx`); nil when it has none, and
    /// decoders then take BT.601 at full range, as libheif does.
    public var colour: Colour?
    /// True when any image is coded with more than 8 bits a sample (`pixi`, `hvcC`, `av1C`).
    public var highBitDepth: Bool
    /// Where the primary image is among the top-level ones (0-based, in `iinf` order): heif-convert's pictures of a
    /// file of several are numbered in that order from 1.
    public var primaryIndex: Int?

    /// The matrix coefficients (ITU-T H.273: 1 is BT.709, 6 is BT.601, 9 is BT.2020) and sample range of an image.
    public struct Colour: Sendable, Equatable {
        public var matrixCoefficients: Int
        public var fullRange: Bool

        public init(matrixCoefficients: Int, fullRange: Bool) {
            self.matrixCoefficients = matrixCoefficients
            self.fullRange = fullRange
        }
    }

    public init(width: Int, height: Int, decodedPixels: Int, topLevelImages: Int = 1, codec: String?, colour: Colour?,
                highBitDepth: Bool = false) {
        self.width = width
        self.height = height
        self.decodedPixels = decodedPixels
        self.topLevelImages = topLevelImages
        self.codec = codec
        self.colour = colour
        self.highBitDepth = highBitDepth
    }

    /// Bytes read from a file's start for the header: the `meta` box comes first in every HEIF file a camera or an
    /// encoder writes, and a header longer than this is refused rather than read further.
    public static let maxHeaderBytes = 4 << 20

    /// Item types that are pictures: coded images, and images derived from others (grids, overlays, identities).
    static let pictureItemTypes: Set<String> = ["hvc1", "av01", "grid", "iden", "iovl", "jpeg", "avc1", "unci", "j2k1"]
    /// References whose source item is not a top-level image, as libheif 1.15 reads them: a thumbnail, an auxiliary
    /// image (depth, alpha). Nothing else is left out (hidden tiles are, by their flag): counting too many is safe.
    static let subordinateReferences: Set<String> = ["thmb", "auxl"]

    /// Parses the boxes at the start of a file (`bytes`, its first `maxHeaderBytes` bytes or all of it).
    public static func parse(_ bytes: [UInt8]) throws(TackError) -> HEIFHeader {
        var reader = BoxReader(bytes: bytes[...])
        // Only the boxes up to meta are read: the media data after it may run far past the bytes read.
        guard let meta = try reader.children(until: "meta").last, meta.type == "meta" else {
            throw TackError(.thumbnailFailed, "the HEIF file has no meta box in its first \(maxHeaderBytes >> 20) MiB")
        }
        var metaChildren = BoxReader(bytes: try meta.fullBoxPayload())
        let boxes = try metaChildren.children()
        guard let pitm = boxes.first(where: { $0.type == "pitm" }) else {
            throw TackError(.thumbnailFailed, "the HEIF file names no primary image (no pitm box)")
        }
        var pitmFields = FieldReader(bytes: try pitm.fullBoxPayload())
        let primary = pitm.version == 0 ? Int(try pitmFields.u16()) : Int(try pitmFields.u32())

        guard let iprp = boxes.first(where: { $0.type == "iprp" }) else {
            throw TackError(.thumbnailFailed, "the HEIF file has no item properties (no iprp box)")
        }
        var iprpChildren = BoxReader(bytes: iprp.payload)
        let propertyBoxes = try iprpChildren.children()
        guard let ipco = propertyBoxes.first(where: { $0.type == "ipco" }) else {
            throw TackError(.thumbnailFailed, "the HEIF file has no property container (no ipco box)")
        }
        var ipcoChildren = BoxReader(bytes: ipco.payload)
        let properties = try ipcoChildren.children()
        let associations = try Self.associations(propertyBoxes, count: properties.count)
        func propertiesOf(_ item: Int) -> [Box] { (associations[item] ?? []).map { properties[$0] } }

        var largest = 0
        for property in properties where property.type == "ispe" {
            let (width, height) = try Self.extent(property)
            largest = max(largest, Self.product(width, height))
        }
        // The top-level images, each of which heif-convert decodes (numbering its pictures in this order): every picture
        // item that is not hidden and not a thumbnail or auxiliary image of another.
        let items = try Self.items(in: boxes)
        var subordinate = Set<Int>()
        for reference in try Self.references(in: boxes) where subordinateReferences.contains(reference.type) {
            subordinate.insert(reference.from)
        }
        let topLevel = items.filter { !$0.hidden && pictureItemTypes.contains($0.type) && !subordinate.contains($0.id) }
        var summed = 0
        for item in topLevel {
            guard let ispe = propertiesOf(item.id).first(where: { $0.type == "ispe" }) else {
                throw TackError(.thumbnailFailed, "the HEIF file does not give the size of its image \(item.id) (no ispe)")
            }
            let (width, height) = try Self.extent(ispe)
            let (total, overflow) = summed.addingReportingOverflow(Self.product(width, height))
            summed = overflow ? Int.max : total
        }

        let associated = propertiesOf(primary)
        guard let ispe = associated.first(where: { $0.type == "ispe" }) else {
            throw TackError(.thumbnailFailed, "the HEIF file does not give its primary image's size (no ispe for item \(primary))")
        }
        var (width, height) = try Self.extent(ispe)
        if let irot = associated.first(where: { $0.type == "irot" }), let angle = irot.payload.first, angle & 1 == 1 {
            swap(&width, &height)
        }
        guard width > 0, height > 0 else {
            throw TackError(.thumbnailFailed, "the HEIF file's primary image is \(width)x\(height) pixels")
        }
        let codec: String? = switch items.first(where: { $0.id == primary })?.type {
        case "hvc1": "hevc"
        case "av01": "av1"
        default: nil
        }
        var highBitDepth = false
        for property in properties where try Self.isHighBitDepth(property) { highBitDepth = true }
        var header = HEIFHeader(width: width, height: height, decodedPixels: max(summed, largest), topLevelImages: max(1, topLevel.count),
                                codec: codec, colour: try Self.colour(in: associated), highBitDepth: highBitDepth)
        header.primaryIndex = topLevel.firstIndex { $0.id == primary }
        return header
    }

    /// Two 32-bit sides can overflow even 64 bits: such a product is simply the most there is.
    private static func product(_ width: Int, _ height: Int) -> Int {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? Int.max : pixels
    }

    /// The width and height an `ispe` property declares.
    private static func extent(_ box: Box) throws(TackError) -> (Int, Int) {
        var fields = FieldReader(bytes: try box.fullBoxPayload())
        return (Int(try fields.u32()), Int(try fields.u32()))
    }

    /// Each item's properties (0-based indexes into `ipco`), from the `ipma` boxes; indexes past `count` are dropped.
    private static func associations(_ boxes: [Box], count: Int) throws(TackError) -> [Int: [Int]] {
        var associations: [Int: [Int]] = [:]
        for ipma in boxes where ipma.type == "ipma" {
            var fields = FieldReader(bytes: try ipma.fullBoxPayload())
            let entries = try fields.u32()
            for _ in 0..<entries {
                let item = ipma.version < 1 ? Int(try fields.u16()) : Int(try fields.u32())
                let associated = Int(try fields.u8())
                for _ in 0..<associated {
                    // The top bit says "essential"; the rest is a 1-based index into ipco.
                    let index = ipma.flags & 1 == 1 ? Int(try fields.u16() & 0x7FFF) : Int(try fields.u8() & 0x7F)
                    if index > 0, index <= count { associations[item, default: []].append(index - 1) }
                }
            }
        }
        return associations
    }

    /// One entry of `iinf`: an item's id, its type and whether it is hidden.
    struct Item {
        var id: Int
        var type: String
        var hidden: Bool
    }

    /// The items `iinf` lists (version 2 and 3 entries, the only ones HEIF uses).
    private static func items(in boxes: [Box]) throws(TackError) -> [Item] {
        guard let iinf = boxes.first(where: { $0.type == "iinf" }) else { return [] }
        var fields = FieldReader(bytes: try iinf.fullBoxPayload())
        _ = iinf.version == 0 ? Int(try fields.u16()) : Int(try fields.u32())
        var entries = BoxReader(bytes: fields.rest)
        var items: [Item] = []
        for infe in try entries.children() where infe.type == "infe" && infe.version >= 2 {
            var entry = FieldReader(bytes: try infe.fullBoxPayload())
            let id = infe.version == 2 ? Int(try entry.u16()) : Int(try entry.u32())
            _ = try entry.u16()  // protection index
            items.append(Item(id: id, type: String(decoding: try entry.bytes(4), as: UTF8.self), hidden: infe.flags & 1 == 1))
        }
        return items
    }

    /// The item references in `iref`: their type, source item and target items.
    private static func references(in boxes: [Box]) throws(TackError) -> [(type: String, from: Int, to: [Int])] {
        guard let iref = boxes.first(where: { $0.type == "iref" }) else { return [] }
        var children = BoxReader(bytes: try iref.fullBoxPayload())
        let wide = iref.version != 0
        var references: [(type: String, from: Int, to: [Int])] = []
        for reference in try children.children() {
            var fields = FieldReader(bytes: reference.payload)
            let from = wide ? Int(try fields.u32()) : Int(try fields.u16())
            let count = Int(try fields.u16())
            var to: [Int] = []
            for _ in 0..<count { to.append(wide ? Int(try fields.u32()) : Int(try fields.u16())) }
            references.append((reference.type, from, to))
        }
        return references
    }

    /// Whether a property says its image has more than 8 bits a sample: `pixi` (bits per channel), `hvcC` (its
    /// bitDepthLumaMinus8, byte 17) or `av1C` (its high_bitdepth flag, byte 2).
    private static func isHighBitDepth(_ property: Box) throws(TackError) -> Bool {
        let payload = Array(property.payload)
        switch property.type {
        case "pixi":
            var fields = FieldReader(bytes: try property.fullBoxPayload())
            let channels = Int(try fields.u8())
            for _ in 0..<channels where try fields.u8() > 8 { return true }
            return false
        case "hvcC": return payload.count > 17 && payload[17] & 0x07 > 0
        case "av1C": return payload.count > 2 && payload[2] & 0x40 != 0
        default: return false
        }
    }

    /// The `nclx` colour information among the primary image's properties (an ICC profile says nothing of the
    /// YCbCr matrix).
    private static func colour(in properties: [Box]) throws(TackError) -> Colour? {
        for colr in properties where colr.type == "colr" {
            var fields = FieldReader(bytes: colr.payload)
            guard String(decoding: try fields.bytes(4), as: UTF8.self) == "nclx" else { continue }
            _ = try fields.u16()  // colour primaries
            _ = try fields.u16()  // transfer characteristics
            let matrix = Int(try fields.u16())
            return Colour(matrixCoefficients: matrix, fullRange: try fields.u8() & 0x80 != 0)
        }
        return nil
    }
}

/// One ISO base media file box: its four-character type and what follows its header.
private struct Box {
    var type: String
    var payload: ArraySlice<UInt8>

    /// A full box's version, the first byte of its payload.
    var version: UInt8 { payload.first ?? 0 }
    /// A full box's 24 flag bits.
    var flags: UInt32 {
        guard payload.count >= 4 else { return 0 }
        let start = payload.startIndex
        return UInt32(payload[start + 1]) << 16 | UInt32(payload[start + 2]) << 8 | UInt32(payload[start + 3])
    }

    /// A full box's payload after its version and flags.
    func fullBoxPayload() throws(TackError) -> ArraySlice<UInt8> {
        guard payload.count >= 4 else { throw TackError(.thumbnailFailed, "the HEIF file's \(type) box is cut short") }
        return payload.dropFirst(4)
    }
}

/// Splits bytes into consecutive boxes.
private struct BoxReader {
    var bytes: ArraySlice<UInt8>

    /// Every box in the bytes, in order, ending with the first of type `until` when given; a box that runs past
    /// the end is an error (the header was cut off).
    mutating func children(until last: String? = nil) throws(TackError) -> [Box] {
        var boxes: [Box] = []
        var fields = FieldReader(bytes: bytes)
        while !fields.rest.isEmpty {
            // Stray bytes shorter than a box header end the list: some writers pad their boxes.
            guard fields.rest.count >= 8 else { break }
            let size32 = try fields.u32()
            let type = String(decoding: try fields.bytes(4), as: UTF8.self)
            var header = 8
            var size: UInt64
            switch size32 {
            case 0: size = UInt64(fields.rest.count + header)
            case 1:
                size = try fields.u64()
                header = 16
            default: size = UInt64(size32)
            }
            guard size >= UInt64(header), size - UInt64(header) <= UInt64(fields.rest.count) else {
                throw TackError(.thumbnailFailed, "the HEIF file's \(type.debugDescription) box runs past the header tackd reads (\(size) bytes)")
            }
            boxes.append(Box(type: type, payload: try fields.bytes(Int(size) - header)))
            if type == last { break }
        }
        return boxes
    }
}

/// Reads big-endian fields, each checked against the bytes left.
private struct FieldReader {
    var rest: ArraySlice<UInt8>

    init(bytes: ArraySlice<UInt8>) { rest = bytes }

    mutating func bytes(_ count: Int) throws(TackError) -> ArraySlice<UInt8> {
        guard rest.count >= count else { throw TackError(.thumbnailFailed, "the HEIF file's header is cut short") }
        defer { rest = rest.dropFirst(count) }
        return rest.prefix(count)
    }

    mutating func u8() throws(TackError) -> UInt8 { try bytes(1).first! }
    mutating func u16() throws(TackError) -> UInt16 { UInt16(try unsigned(2)) }
    mutating func u32() throws(TackError) -> UInt32 { UInt32(try unsigned(4)) }
    mutating func u64() throws(TackError) -> UInt64 { try unsigned(8) }

    private mutating func unsigned(_ count: Int) throws(TackError) -> UInt64 {
        try bytes(count).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
