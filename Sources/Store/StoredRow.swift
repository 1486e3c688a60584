import ChargeControl
import GRDB

/// Reading a stored row never traps (issue 17). GRDB's Row subscripts (by column name or index) call
/// fatalError on a value they cannot convert (a REAL where an Int64 belongs, text in a number
/// column): one such account row killed the daemon, and systemd's restarts made it a crash loop.
/// Records decode with GRDB's throwing `row.decode(_:atIndex:)` / `row.decode(_:forColumn:)`
/// inside `decodeRecord`, which turns a failure into `StoreError.undecodableRow` naming the
/// table, the row's key and the column: the read that met the row fails alone.
extension Row {
    /// The column whose value names the row in an error.
    enum KeyColumn {
        /// Records decoded by position (the account on the ingest path).
        case index(Int)
        case name(String)
    }

    /// `body`'s result; GRDB's decoding errors become `StoreError.undecodableRow`. The key and
    /// the problem are worked out only when decoding failed, so the happy path costs nothing.
    @inline(__always)
    func decodeRecord<T>(table: String, key: KeyColumn, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RowDecodingError {
            throw StoreError.undecodableRow(table: table, key: keyText(key), problem: problem(error))
        }
    }

    /// The key column's value as text; "?" when even it cannot be read.
    private func keyText(_ key: KeyColumn) -> String {
        // DatabaseValue decodes from any stored value, so this cannot fail on the value itself.
        let value: DatabaseValue? = switch key {
        case .index(let i): try? decode(DatabaseValue.self, atIndex: i)
        case .name(let name): try? decode(DatabaseValue.self, forColumn: name)
        }
        guard let value else { return "?" }
        return String.fromDatabaseValue(value) ?? value.description
    }

    /// GRDB's message ("could not decode Int64 from database value 9.3e+18 - column: "balance",
    /// column index: 9") without the whole row and SQL it appends: those are long, and the
    /// message reaches API clients.
    private func problem(_ error: RowDecodingError) -> String {
        let text = String(describing: error)
        guard let row = text.range(of: "row: \(description)") else { return text }
        var head = text[..<row.lowerBound]
        while let last = head.last, last == " " || last == "," || last == "-" { head.removeLast() }
        return String(head)
    }
}

// Stored enum texts decode through their raw values, so an unknown text is a decoding error
// (it used to fall back silently to a default: a corrupt command became an alarm). Declared
// here because the pure targets do not import GRDB.
extension CommandKind: DatabaseValueConvertible {}
extension RelayState: DatabaseValueConvertible {}
extension AccountControlState: DatabaseValueConvertible {}
extension LedgerEntryKind: DatabaseValueConvertible {}
extension CommandState: DatabaseValueConvertible {}
extension PaymentChannel: DatabaseValueConvertible {}
extension ReviewKind: DatabaseValueConvertible {}
extension ReviewItemState: DatabaseValueConvertible {}
extension FeeControlState: DatabaseValueConvertible {}
extension ReadingResolution: DatabaseValueConvertible {}
