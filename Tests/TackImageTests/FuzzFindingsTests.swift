import Foundation
import Testing
import TackTestSupport
@testable import TackImage

/// Inputs the fuzz targets in Tests/Fuzz turned up (kept in Tests/Fuzz/Corpus/<target>/regression-*), replayed with
/// the property that failed.
@Suite(.ownThread) struct FuzzFindingsTests {
    static func corpus(_ target: String, _ name: String) throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return Array(try Data(contentsOf: root.appendingPathComponent("Fuzz/Corpus/\(target)/\(name)")))
    }

    /// Two EXIF segments, the first with orientation 1, the second with 6: viewers and `ExifOrientation.read` take
    /// the first, so the picture is shown upright as stored. The stripper skipped the 1 and wrote the 6, so the
    /// cleaned copy came out turned a quarter.
    @Test(arguments: [1, 5, 4096])
    func theFirstStatedOrientationWinsEvenWhenItIsOne(chunk: Int) throws {
        let original = try Self.corpus("jpeg-strip", "regression-orientation-1-then-6")
        #expect(ExifOrientation.read(jpeg: original) == 1)
        let (stripped, did, failure) = strip(original, chunk: chunk)
        #expect(did && failure == nil)
        #expect(ExifOrientation.read(jpeg: stripped) == 1)
    }
}
