import SQLiteKit
import TackCore

/// A catalog row's columns read straight from SQLiteNIO's values.
///
/// SQLKit's `decode(column:as:)` goes through a Codable decoder for every column: about 10 µs each in a release
/// build, which made a 50-item page of attachments (20 columns a row) cost 10 ms. This is a dictionary lookup and a
/// switch. Measured with `scripts/bench/serve`; see the README's "Reads" table.
struct SQLiteColumns: CatalogColumns {
    private let row: SQLiteRow

    init(_ row: SQLiteRow) { self.row = row }

    func optionalText(_ name: String) -> String? { row.column(name)?.string }

    func optionalInt(_ name: String) -> Int? { row.column(name)?.integer }
}
