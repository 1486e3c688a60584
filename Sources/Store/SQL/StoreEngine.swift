import GRDB

/// Where a store's transactions run: SQLite through GRDB (`SQLiteEngine`), or PostgreSQL
/// (`PostgresEngine`). Reads run in a transaction of their own, which sees one committed state;
/// writes are serialised (one writer at a time in this process).
package protocol StoreEngine: Sendable {
    var kind: SQLEngineKind { get }

    /// Runs `body` in a read-only transaction, on the calling thread.
    func read<T>(_ body: (SQLSession) throws -> T) throws -> T
    /// Runs `body` in a read-only transaction, without holding a task's thread meanwhile.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T
    /// Runs `body` in a write transaction, committed when it returns, rolled back when it throws.
    func write<T>(_ body: (SQLSession) throws -> T) throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T
    /// Runs `body` in a write transaction on the writer, then `completion` with its outcome.
    func asyncWrite<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T,
                                 completion: @escaping @Sendable (Result<T, any Error>) -> Void)
    /// Ends every connection; the engine cannot be used after.
    func close() throws
    /// SQLite's writer, for what only SQLite has (its file's backup, checkpoints); nil on PostgreSQL.
    var sqlite: (any DatabaseWriter)? { get }
}

/// SQLite through GRDB: a `DatabasePool` in production (WAL: readers never block the writer), a
/// `DatabaseQueue` in tests.
package struct SQLiteEngine: StoreEngine {
    package let writer: any DatabaseWriter

    package init(_ writer: any DatabaseWriter) {
        self.writer = writer
    }

    package var kind: SQLEngineKind { .sqlite }
    package var sqlite: (any DatabaseWriter)? { writer }

    package func read<T>(_ body: (SQLSession) throws -> T) throws -> T {
        try writer.read { db in try body(SQLSession(db)) }
    }

    package func read<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await writer.read { db in try body(SQLSession(db)) }
    }

    package func write<T>(_ body: (SQLSession) throws -> T) throws -> T {
        try writer.write { db in try body(SQLSession(db)) }
    }

    package func write<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLSession(db)) }
    }

    package func asyncWrite<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T,
                                        completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        writer.asyncWrite({ db in try body(SQLSession(db)) }, completion: { _, result in completion(result) })
    }

    package func close() throws {
        try writer.close()
    }
}
