import Foundation
import GRDB

/// Which engine a session speaks to: where their SQL differs (rarely: `PostgresDialect`
/// translates the rest), the store asks.
package enum SQLEngineKind: Sendable, Equatable {
    case sqlite
    case postgres
}

/// A connection of another engine than SQLite (PostgreSQL's, in `StorePostgres`), as the store's
/// statements use it: written in SQLite's SQL, which the connection translates.
package protocol SQLConnection: AnyObject {
    var engine: SQLEngineKind { get }
    /// Runs one statement.
    func execute(_ sql: String, _ values: [SQLValue]) throws
    /// The rows of a query.
    func cursor(_ sql: String, _ values: [SQLValue]) throws -> any SQLRowCursor
    /// Rows the last statement changed.
    var changes: Int { get }
    /// The id the last INSERT gave its row.
    func lastInsertedID() throws -> Int64
    var inTransaction: Bool { get }
    /// Calls `changed` with each account row this connection's statements change, before the statement returns.
    func watchAccountRows(_ changed: @escaping @Sendable (String) -> Void) throws
}

/// One connection of either engine, handed to the store's statements for the length of one
/// transaction (a write round, a read). Every statement of the store goes through it: the store
/// writes SQLite's SQL, and another engine's connection translates it (`PostgresDialect`).
///
/// Not `Sendable`: like the connection under it, it belongs to the transaction's thread.
package final class SQLSession {
    private enum Connection {
        case sqlite(GRDB.Database)
        case other(any SQLConnection)
    }

    private let connection: Connection

    package init(_ db: GRDB.Database) {
        connection = .sqlite(db)
    }

    package init(_ session: any SQLConnection) {
        connection = .other(session)
    }

    package var engine: SQLEngineKind {
        switch connection {
        case .sqlite: .sqlite
        case .other(let session): session.engine
        }
    }

    /// The SQLite connection, for what only SQLite has (its C API on the hot path, PRAGMAs, the
    /// file's backup); nil on PostgreSQL.
    package var sqlite: GRDB.Database? {
        if case .sqlite(let db) = connection { return db }
        return nil
    }

    /// Runs one statement (or, on SQLite, several separated by semicolons).
    package func execute(sql: String, arguments: SQLArguments = []) throws {
        switch connection {
        case .sqlite(let db): try db.execute(sql: sql, arguments: Self.grdb(arguments))
        case .other(let session): try session.execute(sql, arguments.values)
        }
    }

    /// `execute` through the connection's statement cache: compiled once per connection, not on
    /// every call. (On SQLite, compiling runs its authorizer, which GRDB uses to work out each
    /// statement's tables and columns: about a tenth of the daemon's CPU time when every write
    /// compiled its statements afresh.) For SQL texts that do not vary.
    package func executeCached(sql: String, arguments: SQLArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// A statement kept compiled for the connection's life.
    package func cachedStatement(sql: String) throws -> SQLStatement {
        SQLStatement(session: self, sql: sql, cached: true)
    }

    /// A statement compiled for this use only (texts that vary).
    package func makeStatement(sql: String) throws -> SQLStatement {
        SQLStatement(session: self, sql: sql, cached: false)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    package var changesCount: Int {
        switch connection {
        case .sqlite(let db): db.changesCount
        case .other(let session): session.changes
        }
    }

    /// The id the last INSERT gave its row.
    package var lastInsertedRowID: Int64 {
        get throws {
            switch connection {
            case .sqlite(let db): db.lastInsertedRowID
            case .other(let session): try session.lastInsertedID()
            }
        }
    }

    /// Calls `changed` with the id of every account row this connection's statements change,
    /// as they change it (PostgreSQL; SQLite's account book installs a trigger of its own).
    package func watchAccountRows(_ changed: @escaping @Sendable (String) -> Void) throws {
        if case .other(let session) = connection { try session.watchAccountRows(changed) }
    }

    /// Whether a transaction is open on the connection.
    /// PostgreSQL's `NOTIFY channel, payload`, delivered when the transaction commits (nothing
    /// on SQLite: its one daemon has nobody to tell).
    package func notify(_ channel: String, _ payload: String) throws {
        guard engine == .postgres else { return }
        try execute(sql: "SELECT pg_notify(?, ?)", arguments: [channel, payload])
    }

    package var isInsideTransaction: Bool {
        switch connection {
        case .sqlite(let db): db.isInsideTransaction
        case .other(let session): session.inTransaction
        }
    }

    fileprivate func run(_ statement: SQLStatement, arguments: SQLArguments) throws {
        switch connection {
        case .sqlite(let db):
            let grdb = statement.cached ? try db.cachedStatement(sql: statement.sql) : try db.makeStatement(sql: statement.sql)
            try grdb.execute(arguments: Self.grdb(arguments))
        case .other(let session):
            try session.execute(statement.sql, arguments.values)
        }
    }

    fileprivate func rows(_ statement: SQLStatement, arguments: SQLArguments) throws -> [SQLRow] {
        var cursor = try self.cursor(statement, arguments: arguments)
        var rows: [SQLRow] = []
        while let row = try cursor.next() { rows.append(row) }
        return rows
    }

    fileprivate func cursor(_ statement: SQLStatement, arguments: SQLArguments) throws -> any SQLRowCursor {
        switch connection {
        case .sqlite(let db):
            let grdb = statement.cached ? try db.cachedStatement(sql: statement.sql) : try db.makeStatement(sql: statement.sql)
            return SQLiteRowCursor(rows: try GRDB.Row.fetchCursor(grdb, arguments: Self.grdb(arguments)),
                                   columns: SQLColumns(grdb.columnNames))
        case .other(let session):
            return try session.cursor(statement.sql, arguments.values)
        }
    }

    /// Runs `body` in a savepoint: if it throws, what it wrote is rolled back and the error
    /// rethrown, while the enclosing transaction goes on; outside a transaction, in one. The
    /// savepoint's statements come from the statement cache: compiled afresh, `SAVEPOINT` and
    /// `RELEASE` were a tenth of the writer's CPU with a savepoint per reading and per command
    /// step (issue 7 profiles). What the body stages in the account book rolls back with what
    /// it wrote.
    package func cachedSavepoint<T>(_ body: () throws -> T) throws -> T {
        let book = AccountBook.current
        let mark = book?.mark()
        let opened = !isInsideTransaction
        try executeCached(sql: opened ? "BEGIN" : "SAVEPOINT step")
        let result: T
        do {
            result = try body()
        } catch {
            if let book, let mark { book.rollBack(to: mark) }
            if opened {
                try executeCached(sql: "ROLLBACK")
            } else {
                try executeCached(sql: "ROLLBACK TO SAVEPOINT step")
                try executeCached(sql: "RELEASE SAVEPOINT step")
            }
            throw error
        }
        try executeCached(sql: opened ? "COMMIT" : "RELEASE SAVEPOINT step")
        return result
    }

    /// GRDB's form of the arguments.
    private static func grdb(_ arguments: SQLArguments) -> StatementArguments {
        StatementArguments(arguments.values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let v): v.databaseValue
            case .real(let v): v.databaseValue
            case .text(let v): v.databaseValue
            case .blob(let v): Data(v).databaseValue
            }
        })
    }
}

/// A statement of a session: its text, and whether the connection keeps it compiled.
package struct SQLStatement {
    let session: SQLSession
    package let sql: String
    let cached: Bool

    package func execute(arguments: SQLArguments = []) throws {
        try session.run(self, arguments: arguments)
    }
}

/// SQLite's rows as the store reads them.
private struct SQLiteRowCursor: SQLRowCursor {
    let rows: GRDB.RowCursor
    let columns: SQLColumns

    mutating func next() throws -> SQLRow? {
        guard let row = try rows.next() else { return nil }
        var values: [SQLValue] = []
        values.reserveCapacity(row.count)
        for value in row.databaseValues {
            let stored: SQLValue = switch value.storage {
            case .null: .null
            case .int64(let v): .integer(v)
            case .double(let v): .real(v)
            case .string(let v): .text(v)
            case .blob(let v): .blob([UInt8](v))
            }
            values.append(stored)
        }
        return SQLRow(columns: columns, values: values)
    }
}

// The fetches the store's statements use, in GRDB's shape: `SQLRow.fetchAll(db, sql: …)`,
// `Int64.fetchOne(db.cachedStatement(sql: …), arguments: …)`.
extension SQLRow {
    package static func fetchAll(_ statement: SQLStatement, arguments: SQLArguments = []) throws -> [SQLRow] {
        try statement.session.rows(statement, arguments: arguments)
    }

    package static func fetchAll(_ db: SQLSession, sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        try fetchAll(db.makeStatement(sql: sql), arguments: arguments)
    }

    package static func fetchOne(_ statement: SQLStatement, arguments: SQLArguments = []) throws -> SQLRow? {
        var cursor = try statement.session.cursor(statement, arguments: arguments)
        return try cursor.next()
    }

    package static func fetchOne(_ db: SQLSession, sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try fetchOne(db.makeStatement(sql: sql), arguments: arguments)
    }

    package static func fetchCursor(_ statement: SQLStatement, arguments: SQLArguments = []) throws -> any SQLRowCursor {
        try statement.session.cursor(statement, arguments: arguments)
    }

    package static func fetchCursor(_ db: SQLSession, sql: String, arguments: SQLArguments = []) throws -> any SQLRowCursor {
        try fetchCursor(db.makeStatement(sql: sql), arguments: arguments)
    }
}

extension SQLStorable {
    /// The first column of the first row; nil without a row, or when that value is NULL.
    package static func fetchOne(_ statement: SQLStatement, arguments: SQLArguments = []) throws -> Self? {
        guard let row = try SQLRow.fetchOne(statement, arguments: arguments) else { return nil }
        return try row.decode(Self?.self, atIndex: 0)
    }

    package static func fetchOne(_ db: SQLSession, sql: String, arguments: SQLArguments = []) throws -> Self? {
        try fetchOne(db.makeStatement(sql: sql), arguments: arguments)
    }

    /// The first column of every row.
    package static func fetchAll(_ statement: SQLStatement, arguments: SQLArguments = []) throws -> [Self] {
        try SQLRow.fetchAll(statement, arguments: arguments).map { try $0.decode(Self.self, atIndex: 0) }
    }

    package static func fetchAll(_ db: SQLSession, sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try fetchAll(db.makeStatement(sql: sql), arguments: arguments)
    }
}
