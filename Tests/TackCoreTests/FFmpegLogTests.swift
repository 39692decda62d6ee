import Testing
@testable import TackCore

/// ffmpeg's own words, as the preview worker reads them: each log below is what ffmpeg 5 printed at
/// `-loglevel level+info -nostats` for a file made by ffmpeg (the worker's exact arguments for the first).
@Suite struct FFmpegLogTests {
    @Test func aVideosSizeLengthAndCodecComeFromItsInputNotTheOutput() {
        let log = FFmpegLog("""
        [info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/tmp/t.mp4':
        [info]   Metadata:
        [info]     major_brand     : isom
        [info]     minor_version   : 512
        [info]     compatible_brands: isomiso2avc1mp41
        [info]     encoder         : Lavf59.27.100
        [info]   Duration: 00:00:05.00, start: 0.000000, bitrate: 124 kb/s
        [info]   Stream #0:0[0x1](und): Video: h264 (High 4:4:4 Predictive) (avc1 / 0x31637661), yuv444p(progressive), 640x360 [SAR 1:1 DAR 16:9], 45 kb/s, 25 fps, 25 tbr, 12800 tbn (default)
        [info]     Metadata:
        [info]       handler_name    : VideoHandler
        [info]       vendor_id       : [0][0][0][0]
        [info]       encoder         : Lavc59.37.100 libx264
        [info]   Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)
        [info]     Metadata:
        [info]       handler_name    : SoundHandler
        [info]       vendor_id       : [0][0][0][0]
        [info] Stream mapping:
        [info]   Stream #0:0 -> #0:0 (h264 (native) -> ppm (native))
        [info] Output #0, image2, to '/tmp/o.ppm':
        [info]   Metadata:
        [info]     major_brand     : isom
        [info]     minor_version   : 512
        [info]     compatible_brands: isomiso2avc1mp41
        [info]     encoder         : Lavf59.27.100
        [info]   Stream #0:0(und): Video: ppm, rgb24(pc, gbr/unknown/unknown, progressive), 320x180 [SAR 1:1 DAR 16:9], q=2-31, 200 kb/s, 25 fps, 25 tbn (default)
        [info]     Metadata:
        [info]       handler_name    : VideoHandler
        [info]       vendor_id       : [0][0][0][0]
        [info]       encoder         : Lavc59.37.100 ppm
        [image2 @ 0x5645703bdc40] [warning] The specified filename '/tmp/o.ppm' does not contain an image sequence pattern or a pattern is invalid.
        [image2 @ 0x5645703bdc40] [warning] Use a pattern such as %03d for an image sequence or use the -update option (with -frames:v 1 if needed) to write a single image.
        [info] frame=    1 fps=0.0 q=-0.0 Lsize=N/A time=00:00:00.04 bitrate=N/A speed=1.16x    
        [info] video:169kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
        """)
        #expect(log.reason == nil)
        #expect(log.durationMilliseconds == 5000)
        // The input's H.264 at 640x360 and its AAC; never the 320x180 PPM written, nor the codec tag's 0x31637661.
        #expect(log.streams == [FFmpegLog.Stream(kind: .video, codec: "h264", width: 640, height: 360),
                                FFmpegLog.Stream(kind: .audio, codec: "aac", width: nil, height: nil)])
        #expect(log.facts(of: .video) == MediaFacts(width: 640, height: 360, durationMilliseconds: 5000, codec: "h264"))
        #expect(log.facts(of: .audio) == MediaFacts(durationMilliseconds: 5000, codec: "aac"))
    }

    @Test func aRecordingIsItsAudioNotItsCoverAndATagCannotPoseAsALength() {
        // The title tag holds a second line that reads like a length; ffmpeg prints it untagged, under the tag.
        let log = FFmpegLog("""
        [info] Input #0, mp3, from '/tmp/covered.mp3':
        [info]   Metadata:
        [info]     title           : Tone
                            :   Duration: 99:00:00.00
        [info]     encoder         : Lavf59.27.100
        [info]   Duration: 00:00:02.04, start: 0.025056, bitrate: 180 kb/s
        [info]   Stream #0:0: Audio: mp3, 44100 Hz, mono, fltp, 64 kb/s
        [info]   Stream #0:1: Video: mjpeg (Baseline), yuvj444p(pc, bt470bg/unknown/unknown), 500x500 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)
        [info]     Metadata:
        [info]       comment         : Other
        [info] Stream mapping:
        [info]   Stream #0:0 -> #0:0 (mp3 (mp3float) -> pcm_s16le (native))
        [info] Output #0, null, to 'pipe:':
        [info]   Metadata:
        [info]     title           : Tone
                            :   Duration: 99:00:00.00
        [info]     encoder         : Lavf59.27.100
        [info]   Stream #0:0: Audio: pcm_s16le, 44100 Hz, mono, s16, 705 kb/s
        """)
        #expect(log.durationMilliseconds == 2040)
        #expect(log.facts(of: .audio) == MediaFacts(durationMilliseconds: 2040, codec: "mp3"))
        #expect(log.facts(of: .video) == MediaFacts(width: 500, height: 500, durationMilliseconds: 2040, codec: "mjpeg"))
        #expect(log.streams.count == 2)
    }

    @Test func aPixelFormatWithCommasAndNoLength() {
        let log = FFmpegLog("""
            [info] Input #0, webp_pipe, from '/tmp/x.webp':
            [info]   Duration: N/A, bitrate: N/A
            [info]   Stream #0:0: Video: webp, yuv420p(tv, bt470bg/unknown/unknown), 64x48, 25 fps, 25 tbr, 25 tbn
            [info]   Stream #0:1[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 1280x720 [SAR 1:1 DAR 16:9], 122 kb/s
            [info] Stream mapping:
            """)
        #expect(log.durationMilliseconds == nil)
        #expect(log.streams.map { "\($0.codec) \($0.width ?? 0)x\($0.height ?? 0)" } == ["webp 64x48", "h264 1280x720"])
    }

    @Test func theReasonIsTheFirstErrorWithWhoSaidIt() {
        let log = FFmpegLog("""
        [mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d9df84db00] [error] moov atom not found
        [error] /tmp/cut.mp4: Invalid data found when processing input
        """)
        #expect(log.reason == "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d9df84db00] moov atom not found")
        #expect(log.streams.isEmpty && log.durationMilliseconds == nil && log.facts(of: .video) == nil)
        // Warnings are not reasons; a fatal line is.
        let warned = FFmpegLog("[image2 @ 0x55ee8d46cc40] [warning] Use a pattern such as %03d\n[fatal] Error opening output files")
        #expect(warned.reason == "Error opening output files")
    }

    /// A Matroska track's language is printed as it is, inside the stream's own line: a newline in it starts a line
    /// of the file's choosing, and a `)` in it a kind of its choosing. Both logs are ffmpeg's, for such files.
    @Test func aLanguageThatWritesItsOwnStreamLineLeavesTheFileWithoutFacts() {
        let split = FFmpegLog("""
            [info] Input #0, matroska,webm, from '/tmp/forge1.mkv':
            [info]   Duration: 00:00:01.00, start: 0.000000, bitrate: 94 kb/s
            [info]   Stream #0:0(eng
            [info]   Stream #0:0: Video: h264, 60000x60000 ): Video: mjpeg (Baseline), yuvj444p(pc, bt470bg/unknown/unknown, progressive), 64x48 [SAR 1:1 DAR 4:3], 5 fps, 5 tbr, 1k tbn
            [info] Stream mapping:
            """)
        #expect(split.streams.isEmpty && split.durationMilliseconds == nil && split.facts(of: .video) == nil)
        let inline = FFmpegLog("""
            [info] Input #0, matroska,webm, from '/tmp/forge2.mkv':
            [info]   Duration: 00:00:01.00, start: 0.000000, bitrate: 94 kb/s
            [info]   Stream #0:0(x): Video: h264, 60000x60000 (): Video: mjpeg (Baseline), yuvj444p(pc, bt470bg/unknown/unknown, progressive), 64x48 [SAR 1:1 DAR 4:3], 5 fps, 5 tbr, 1k tbn
            """)
        #expect(inline.streams.isEmpty && inline.facts(of: .video) == nil)
        // Two lengths, streams out of order or twice, a codec ffmpeg would never name, a size past 65,535: no facts.
        for forged in ["[info]   Duration: 00:00:09.00, start: 0.000000\n[info]   Duration: 00:00:01.00, start: 0.000000",
                       "[info]   Stream #0:1: Video: h264, 640x360\n[info]   Stream #0:0: Audio: aac",
                       "[info]   Stream #0:0: Video: h264, 640x360\n[info]   Stream #0:0: Video: h264, 64x36",
                       "[info]   Stream #0:0: Video: <b>h264</b>, 640x360",
                       "[info]   Stream #0:0: Unknown: h264, 640x360"] {
            #expect(FFmpegLog("[info] Input #0, mov, from 'x':\n" + forged).facts(of: .video) == nil, "\(forged)")
        }
        let huge = FFmpegLog("[info] Input #0, mov, from 'x':\n[info]   Stream #0:0: Video: h264, yuv420p, 70000x70000")
        #expect(huge.streams == [FFmpegLog.Stream(kind: .video, codec: "h264", width: nil, height: nil)])
    }

    @Test func aReasonKeepsEveryPartThatSpokeAndIsCut() {
        let nested = FFmpegLog("[h264 @ 0x55d9df84db00] [IMGUTILS @ 0x7ffc10fe9960] [error] Picture size 0x70000 is invalid")
        #expect(nested.reason == "[h264 @ 0x55d9df84db00] [IMGUTILS @ 0x7ffc10fe9960] Picture size 0x70000 is invalid")
        let long = FFmpegLog("[error] " + String(repeating: "x", count: 5000))
        #expect(long.reason?.count == FFmpegLog.reasonLimit)
    }

    @Test(arguments: [("00:00:05.00", 5000 as Int64?), ("01:02:03.456", 3_723_456), ("N/A", nil), ("00:61:00.00", nil),
                      ("-1:00:00.00", nil), ("99999999999:00:00.00", nil), ("00:00:00", 0), ("", nil)])
    func lengths(_ text: String, _ expected: Int64?) {
        #expect(FFmpegLog.milliseconds(text) == expected)
    }
}
