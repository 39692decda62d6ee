import PostgresNIO

/// A value bound to a PostgreSQL statement. The catalog binds only text and integers; flags are 0 and 1, as in
/// SQLite, so both catalogs' rows read through the same `CatalogColumns` mapping.
enum PostgresValue: Sendable, Equatable {
    case text(String?)
    case integer(Int64?)

    static func integer(_ value: Int) -> PostgresValue { .integer(Int64(value)) }
}

/// A statement written with `?` placeholders, as the SQLite catalog's are, and the values they stand for: built up
/// piece by piece (a search's conditions), then numbered `$1…$n` for PostgreSQL.
struct PostgresStatement: Sendable, Equatable {
    var sql: String
    var binds: [PostgresValue]

    init(_ sql: String, _ binds: [PostgresValue] = []) {
        self.sql = sql; self.binds = binds
    }

    /// The statement with its placeholders numbered. A `?` inside a quoted literal or identifier is left alone.
    var query: PostgresQuery {
        var numbered = ""
        numbered.reserveCapacity(sql.utf8.count + binds.count * 2)
        var next = 1
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                numbered.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                numbered.append(character)
            } else if character == "?" {
                numbered += "$\(next)"
                next += 1
            } else {
                numbered.append(character)
            }
        }
        precondition(next - 1 == binds.count, "statement has \(next - 1) placeholders for \(binds.count) values: \(sql)")
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .text(let text): bindings.append(text)
            case .integer(let number): bindings.append(number)
            }
        }
        return PostgresQuery(unsafeSQL: numbered, binds: bindings)
    }
}
