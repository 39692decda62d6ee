import SQLiteKit
import TackCore

/// A catalog row's columns read straight from SQLiteNIO's values.
///
/// SQLKit's `decode(column:as:)` goes through a Codable decoder for every column: about 10 µs each in a release
/// build, which made a 50-item page of attachments (20 columns a row) cost 10 ms. This is a dictionary lookup and a
/// switch. Measured with `scripts/bench/serve`; see the README's "Reads" table.
struct SQLiteColumns {
    private let row: SQLiteRow

    init(_ row: SQLiteRow) { self.row = row }

    func text(_ name: String) throws -> String {
        guard let value = row.column(name)?.string else { throw missing(name) }
        return value
    }

    func optionalText(_ name: String) -> String? { row.column(name)?.string }

    func int64(_ name: String) throws -> Int64 {
        guard let value = row.column(name)?.integer else { throw missing(name) }
        return Int64(value)
    }

    func optionalInt(_ name: String) -> Int? { row.column(name)?.integer }

    private func missing(_ name: String) -> TackError {
        TackError(.corruptCatalog, "catalog row lacks a value for '\(name)'")
    }
}
