import Store
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One PostgreSQL connection driven from a thread of its own (the writer's, a reader's): each
/// statement is sent and waited for, so the store's statements run as they do on SQLite, one
/// after another inside the transaction. Never used on an event loop (`wait` would deadlock).
///
/// `@unchecked Sendable`: one transaction uses it at a time (the engine's writer queue, or the
/// read that took it from the pool), and it is handed between threads only between them.
package final class PostgresSession: SQLConnection, @unchecked Sendable {
    package var engine: SQLEngineKind { .postgres }

    let connection: PostgresConnection
    let logger: Logger
    /// Rows the last statement changed.
    package private(set) var changes = 0
    /// Whether a transaction is open (the engine opens and ends them).
    package var inTransaction = false
    /// The connection failed under a statement (no answer from the server): the engine opens
    /// another at the next transaction.
    private(set) var broken = false

    /// Whether the next transaction can use this connection.
    var usable: Bool { !broken && !connection.isClosed }

    /// Closes a connection no longer used (PostgresNIO asserts that a connection is closed before it goes).
    func discard() {
        let connection = self.connection
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs a statement written in SQLite's SQL.
    package func execute(_ sql: String, _ values: [SQLValue]) throws {
        _ = try run(sql, values)
    }

    /// The rows of a query written in SQLite's SQL. Read whole: PostgreSQL sends them anyway.
    package func cursor(_ sql: String, _ values: [SQLValue]) throws -> any SQLRowCursor {
        PostgresRowCursor(rows: try run(sql, values))
    }

    /// The id the last INSERT into an identity-keyed table returned (`PostgresDialect`); nil
    /// when it inserted nothing (a conflict it ignored).
    private var returnedID: Int64?

    /// The id of the last row inserted into a table keyed by an identity, as SQLite's last rowid.
    package func lastInsertedID() throws -> Int64 {
        if let returnedID { return returnedID }
        let rows = try runTranslated("SELECT lastval()", [])
        guard let value = try rows.first.flatMap({ try Self.value($0.first) }), case .integer(let id) = value else {
            throw PostgresStoreError(message: "no row was inserted", sqlState: nil, sql: "SELECT lastval()")
        }
        return id
    }

    /// Hears of every account row this connection's statements change (`watchAccountRows`).
    private(set) var accountRowsChanged: (@Sendable (String) -> Void)?

    /// Calls `changed` with the id of every account row a statement on this connection inserts,
    /// updates or deletes, before the statement returns (what the account book's SQLite trigger
    /// does): the schema's trigger lists them in a temporary table, read and emptied after each
    /// statement that may change account rows.
    package func watchAccountRows(_ changed: @escaping @Sendable (String) -> Void) throws {
        _ = try runTranslated("CREATE TEMP TABLE IF NOT EXISTS account_book_changed (id TEXT PRIMARY KEY)", [])
        _ = try runTranslated("SELECT set_config('chargecontrol.account_book', 'on', false)", [])
        accountRowsChanged = changed
    }

    private func run(_ sql: String, _ values: [SQLValue]) throws -> [PostgresRow] {
        let translated = PostgresDialect.statement(sql)
        // A read's BEGIN carries its isolation level.
        if translated.sql.hasPrefix("BEGIN") {
            inTransaction = true
        } else if translated.sql == "COMMIT" || translated.sql == "ROLLBACK" {
            inTransaction = false
        }
        let rows = try runTranslated(translated.sql, values)
        if translated.returnsID {
            returnedID = try rows.first.flatMap { row -> Int64? in
                if case .integer(let id)? = try Self.value(row.first) { return id }
                return nil
            }
        }
        if translated.changesAccountRows, let accountRowsChanged {
            let changes = self.changes
            for row in try runTranslated("DELETE FROM account_book_changed RETURNING id", []) {
                if case .text(let id)? = try Self.value(row.first) { accountRowsChanged(id) }
            }
            self.changes = changes
        }
        return rows
    }

    private func runTranslated(_ sql: String, _ values: [SQLValue]) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            }
        }
        do {
            let result = try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
            changes = result.metadata.rows ?? 0
            return result.rows
        } catch let error as PSQLError {
            if error.serverInfo == nil { broken = true }
            throw PostgresStoreError(error, sql: sql)
        }
    }

    /// A cell as the store reads it (`SQLValue`).
    static func value(_ cell: PostgresCell?) throws -> SQLValue? {
        guard let cell else { return nil }
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            // A SUM of BIGINTs: a whole number, read exactly through its text.
            let decimal = try cell.decode(Decimal.self)
            let text = NSDecimalNumber(decimal: decimal).stringValue
            if let whole = Int64(text) { return .integer(whole) }
            return .text(text)
        case .bytea: return .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// PostgreSQL's rows, decoded as they are read.
private struct PostgresRowCursor: SQLRowCursor {
    let rows: [PostgresRow]
    var position = 0
    var columns: SQLColumns?

    init(rows: [PostgresRow]) {
        self.rows = rows
    }

    mutating func next() throws -> SQLRow? {
        guard position < rows.count else { return nil }
        let row = rows[position]
        position += 1
        let columns = self.columns ?? SQLColumns(row.map(\.columnName))
        self.columns = columns
        var values: [SQLValue] = []
        values.reserveCapacity(columns.names.count)
        for cell in row { values.append(try PostgresSession.value(cell) ?? .null) }
        return SQLRow(columns: columns, values: values)
    }
}

/// What PostgreSQL refused, with its own words (PostgresNIO's errors print a generic text so as
/// not to leak data into logs; the store's errors name the statement's problem).
package struct PostgresStoreError: StorageFailureTelling, CustomStringConvertible {
    package let message: String
    /// The SQLSTATE code (`23514`: a CHECK failed; `40001`: a serialization failure).
    package let sqlState: String?
    package let sql: String

    init(message: String, sqlState: String?, sql: String) {
        self.message = message
        self.sqlState = sqlState
        self.sql = sql
    }

    init(_ error: PSQLError, sql: String) {
        if let info = error.serverInfo {
            let detail = info[.detail].map { " (\($0))" } ?? ""
            self.init(message: (info[.message] ?? "PostgreSQL error") + detail, sqlState: info[.sqlState], sql: sql)
        } else {
            self.init(message: "PostgreSQL connection: \(error.code)", sqlState: nil, sql: sql)
        }
    }

    /// Whether the server's answer means the database cannot take writes (its disk, its
    /// connection), rather than this statement being wrong.
    package var isStorageFailure: Bool {
        guard let sqlState else { return true }
        return sqlState.hasPrefix("53") || sqlState.hasPrefix("58") || sqlState.hasPrefix("08") || sqlState.hasPrefix("57")
    }

    package var description: String { message }
}
