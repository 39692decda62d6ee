import TackCore
import Testing

private func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
    be(UInt32(8 + payload.count)) + Array(type.utf8) + payload
}

private func fullBox(_ type: String, version: UInt8 = 0, flags: UInt32 = 0, _ payload: [UInt8]) -> [UInt8] {
    box(type, [version, UInt8(flags >> 16 & 0xFF), UInt8(flags >> 8 & 0xFF), UInt8(flags & 0xFF)] + payload)
}

private func be(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(value >> UInt32($0) & 0xFF) } }
private func be(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

private func ispe(_ width: UInt32, _ height: UInt32) -> [UInt8] { fullBox("ispe", be(width) + be(height)) }

/// A reference box of `type` from item `from` to items `to` (16-bit ids, as in an `iref` of version 0).
private func reference(_ type: String, from: UInt16, to: [UInt16]) -> [UInt8] {
    box(type, be(from) + be(UInt16(to.count)) + to.flatMap { be($0) })
}

/// A file of two items: 1, the primary, with properties `primary` (1-based indexes into `properties`), and 2 with
/// the last property: by default the primary's thumbnail.
private func file(properties: [[UInt8]], primary: [UInt8], itemTypes: [String] = ["hvc1", "hvc1"], ipmaFlags: UInt32 = 0,
                 pitm: [UInt8] = fullBox("pitm", be(UInt16(1))),
                 references: [[UInt8]] = [reference("thmb", from: 2, to: [1])], hidden: Set<Int> = []) -> [UInt8] {
    let infe = itemTypes.enumerated().flatMap { index, type in
        fullBox("infe", version: 2, flags: hidden.contains(index + 1) ? 1 : 0,
                be(UInt16(index + 1)) + be(UInt16(0)) + Array(type.utf8) + [0])
    }
    // The top bit of each is "essential": bit 7 of a byte, bit 15 of a two-byte association (flag 1).
    func association(_ index: UInt8) -> [UInt8] {
        ipmaFlags & 1 == 1 ? be(UInt16(index & 0x80) << 8 | UInt16(index & 0x7F)) : [index]
    }
    let ipma = fullBox("ipma", flags: ipmaFlags, be(UInt32(2))
        + be(UInt16(1)) + [UInt8(primary.count)] + primary.flatMap { association($0) }
        + be(UInt16(2)) + [1] + association(UInt8(properties.count)))
    let meta = fullBox("meta", fullBox("hdlr", Array(repeating: 0, count: 4) + Array("pict".utf8) + Array(repeating: 0, count: 13))
        + pitm + fullBox("iinf", be(UInt16(UInt16(itemTypes.count))) + infe)
        + (references.isEmpty ? [] : fullBox("iref", references.flatMap { $0 }))
        + box("iprp", box("ipco", properties.flatMap { $0 }) + ipma))
    return box("ftyp", Array("heicmif1heic".utf8)) + meta + box("mdat", [1, 2, 3])
}

/// The HEIF header reader on files laid out as libheif and phones write them, and on the ways a hostile one can lie.
/// (Files written by libheif's own encoder are read end to end in the server's preview tests.)
@Suite struct HEIFHeaderTests {
    @Test func readsThePrimaryImagesSizeCodecAndColour() throws {
        let nclx = box("colr", Array("nclx".utf8) + be(UInt16(1)) + be(UInt16(13)) + be(UInt16(1)) + [0x00])
        let header = try HEIFHeader.parse(file(properties: [ispe(4032, 3024), nclx, ispe(320, 240)], primary: [1, 2]))
        var expected = HEIFHeader(width: 4032, height: 3024, decodedPixels: 4032 * 3024, codec: "hevc",
                                  colour: .init(matrixCoefficients: 1, fullRange: false))
        expected.primaryIndex = 0
        #expect(header == expected)
        // Two-byte associations (flag 1), a version 1 pitm, and an AV1 primary with no nclx (only an ICC profile).
        let icc = box("colr", Array("prof".utf8) + [1, 2, 3, 4])
        let av1 = try HEIFHeader.parse(file(properties: [icc, ispe(1920, 1080), ispe(160, 90)], primary: [0x81, 2],
                                                 itemTypes: ["av01", "av01"], ipmaFlags: 1,
                                                 pitm: fullBox("pitm", version: 1, be(UInt32(1)))))
        #expect(av1.width == 1920 && av1.height == 1080 && av1.codec == "av1" && av1.colour == nil)
    }

    @Test func aQuarterTurnSwapsTheSides() throws {
        for (angle, expected) in [(UInt8(0), (6000, 4000)), (1, (4000, 6000)), (2, (6000, 4000)), (3, (4000, 6000))] {
            let header = try HEIFHeader.parse(file(properties: [ispe(6000, 4000), box("irot", [angle]), ispe(1, 1)],
                                                        primary: [1, 2]))
            #expect(header.width == expected.0 && header.height == expected.1, "irot \(angle)")
        }
    }

    @Test func aGridOfTilesIsDerivedAndTheLargestItemCounts() throws {
        // A grid (item 1) of one hidden tile (item 2) whose declared size is absurd: the tile is not a picture of its
        // own, but the largest size any item declares bounds the decode.
        let header = try HEIFHeader.parse(file(properties: [ispe(512, 512), ispe(0xFFFF_FFFF, 0xFFFF_FFFF)], primary: [1],
                                               itemTypes: ["grid", "hvc1"], references: [reference("dimg", from: 1, to: [2])],
                                               hidden: [2]))
        #expect(header.codec == nil && header.width == 512 && header.topLevelImages == 1 && header.decodedPixels == Int.max)
        // A tile that is not hidden is decoded as a picture of its own by libheif 1.15: it counts.
        let shown = try HEIFHeader.parse(file(properties: [ispe(512, 512), ispe(256, 256)], primary: [1], itemTypes: ["grid", "hvc1"],
                                              references: [reference("dimg", from: 1, to: [2])]))
        #expect(shown.topLevelImages == 2 && shown.decodedPixels == 512 * 512 + 256 * 256)
    }

    @Test func everyTopLevelImageCountsAndDeepSamplesAreSeen() throws {
        // Two pictures side by side (a burst): heif-convert decodes both, so both count.
        let two = try HEIFHeader.parse(file(properties: [ispe(4000, 3000), ispe(4000, 3000)], primary: [1], references: []))
        #expect(two.topLevelImages == 2 && two.decodedPixels == 24_000_000 && two.primaryIndex == 0)
        // The primary second: heif-convert's second picture.
        let second = try HEIFHeader.parse(file(properties: [ispe(4000, 3000), ispe(300, 200)], primary: [1],
                                               pitm: fullBox("pitm", be(UInt16(2))), references: []))
        #expect(second.primaryIndex == 1 && second.width == 300)
        // A metadata item (Exif) has no size and is no picture.
        let exif = try HEIFHeader.parse(file(properties: [ispe(64, 64), ispe(8, 8)], primary: [1], itemTypes: ["hvc1", "Exif"], references: []))
        #expect(exif.topLevelImages == 1)
        // A depth map (auxl) is not a picture of its own.
        let depth = try HEIFHeader.parse(file(properties: [ispe(4000, 3000), ispe(640, 480)], primary: [1],
                                              references: [reference("auxl", from: 2, to: [1])]))
        #expect(depth.topLevelImages == 1 && depth.decodedPixels == 12_000_000)
        // 10 bits a sample, said by pixi, by hvcC's bitDepthLumaMinus8 or by av1C's high_bitdepth flag.
        let pixi10 = fullBox("pixi", [3, 10, 10, 10]), pixi8 = fullBox("pixi", [3, 8, 8, 8])
        let hvcC10 = box("hvcC", [1, 1, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 90, 0xF0, 0, 0xFC, 0xFD, 0xFA, 0xFA])
        let av1C10 = box("av1C", [0x81, 0x05, 0x4C, 0x00])
        for (property, deep) in [(pixi10, true), (pixi8, false), (hvcC10, true), (av1C10, true)] {
            let header = try HEIFHeader.parse(file(properties: [ispe(64, 64), property, ispe(8, 8)], primary: [1, 2]))
            #expect(header.highBitDepth == deep, "\(property)")
        }
    }

    @Test func hostileHeadersAreRefusedWithTheirReason() throws {
        func refusal(_ bytes: [UInt8]) -> String? {
            do {
                _ = try HEIFHeader.parse(bytes)
                return nil
            } catch {
                #expect(error.code == "thumbnail_failed")
                return error.message
            }
        }
        let good = file(properties: [ispe(100, 100), ispe(10, 10)], primary: [1])
        #expect(refusal(Array(good.prefix(60)))?.contains("runs past") == true)
        #expect(refusal(box("ftyp", Array("heicmif1".utf8)) + box("mdat", [0]))?.contains("no meta box") == true)
        #expect(refusal(file(properties: [ispe(100, 100)], primary: [1], pitm: []))?.contains("no primary image") == true)
        // The primary item's association points past the properties, so it has no size.
        #expect(refusal(file(properties: [ispe(100, 100)], primary: [9]))?.contains("no ispe") == true)
        #expect(refusal(file(properties: [ispe(0, 100), ispe(1, 1)], primary: [1]))?.contains("0x100") == true)
        // A box claiming 2^64 - 1 bytes, and one whose length is shorter than its own header.
        #expect(refusal(be(UInt32(1)) + Array("meta".utf8) + Array(repeating: 0xFF, count: 8))?.contains("runs past") == true)
        #expect(refusal(be(UInt32(4)) + Array("meta".utf8))?.contains("runs past") == true)
        #expect(refusal([]) != nil)
    }
}
