/// A result's column names, shared by its rows.
package final class SQLColumns: Sendable {
    package let names: [String]
    /// Lower-cased name → first index (both engines fold unquoted names; SQLite compares them
    /// case-insensitively).
    private let indexByName: [String: Int]

    package init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name.lowercased()] == nil { index[name.lowercased()] = i }
        indexByName = index
    }

    package func index(of name: String) -> Int? { indexByName[name.lowercased()] }
}

/// One row of a result, from either engine. Reading a value never traps (issue 17): a value
/// that is not of the type asked for throws `SQLRowDecodingError`, which `decodeRecord` turns
/// into `StoreError.undecodableRow` naming the table, the row and the column.
package struct SQLRow: Sendable, CustomStringConvertible {
    package let columns: SQLColumns
    package let values: [SQLValue]

    package init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    package var count: Int { values.count }

    /// The value at `index` as a `T`.
    package func decode<T: SQLStorable>(_ type: T.Type = T.self, atIndex index: Int) throws -> T {
        guard values.indices.contains(index) else {
            throw SQLRowDecodingError(type: "\(T.self)", value: nil, column: nil, index: index)
        }
        guard let value = T.fromSQL(values[index]) else {
            throw SQLRowDecodingError(type: "\(T.self)", value: values[index], column: columns.names[index], index: index)
        }
        return value
    }

    /// The value of column `name` as a `T`.
    package func decode<T: SQLStorable>(_ type: T.Type = T.self, forColumn name: String) throws -> T {
        guard let index = columns.index(of: name) else {
            throw SQLRowDecodingError(type: "\(T.self)", value: nil, column: name, index: nil)
        }
        return try decode(type, atIndex: index)
    }

    /// The stored value at `index`, whatever its type (`.null` past the end).
    package subscript(_ index: Int) -> SQLValue { values.indices.contains(index) ? values[index] : .null }

    package var description: String {
        "[" + zip(columns.names, values).map { "\($0):\($1)" }.joined(separator: " ") + "]"
    }
}

/// A stored value that is not of the type the store reads there, or a column the row lacks.
package struct SQLRowDecodingError: Error, CustomStringConvertible {
    package let type: String
    package let value: SQLValue?
    package let column: String?
    package let index: Int?

    package var description: String {
        let place = [column.map { "column: \"\($0)\"" }, index.map { "column index: \($0)" }].compactMap { $0 }.joined(separator: ", ")
        guard let value else { return "no such column - \(place)" }
        return "could not decode \(type) from database value \(value) - \(place)"
    }
}

/// Rows read one at a time (an audit chain, a replay), so a large result is never held whole.
package protocol SQLRowCursor {
    mutating func next() throws -> SQLRow?
}
