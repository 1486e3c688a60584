/// Reading a stored row never traps (issue 17). GRDB's Row subscripts (by column name or index)
/// called fatalError on a value they could not convert (a REAL where an Int64 belongs, text in a
/// number column): one such account row killed the daemon, and systemd's restarts made it a
/// crash loop. Records decode with the throwing `row.decode(_:atIndex:)` /
/// `row.decode(_:forColumn:)` inside `decodeRecord`, which turns a failure into
/// `StoreError.undecodableRow` naming the table, the row's key and the column: the read that met
/// the row fails alone.
extension SQLRow {
    /// The column whose value names the row in an error.
    enum KeyColumn {
        /// Records decoded by position (the account on the ingest path).
        case index(Int)
        case name(String)
    }

    /// `body`'s result; decoding errors become `StoreError.undecodableRow`. The key is worked
    /// out only when decoding failed, so the happy path costs nothing.
    @inline(__always)
    func decodeRecord<T>(table: String, key: KeyColumn, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLRowDecodingError {
            throw StoreError.undecodableRow(table: table, key: keyText(key), problem: error.description)
        }
    }

    /// The key column's value as text; "?" when the row lacks it.
    private func keyText(_ key: KeyColumn) -> String {
        let index: Int? = switch key {
        case .index(let i): i
        case .name(let name): columns.index(of: name)
        }
        guard let index else { return "?" }
        return switch self[index] {
        case .text(let text): text
        case .integer(let value): String(value)
        case let other: other.description
        }
    }

    /// Whether the value at `index` is NULL.
    func hasNull(atIndex index: Int) -> Bool { self[index] == .null }
}
