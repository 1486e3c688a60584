import GRDB

extension Database {
    /// `execute(sql:arguments:)` through the connection's statement cache: the statement is
    /// compiled once per connection, not on every call. (Compiling runs SQLite's authorizer,
    /// which GRDB uses to work out each statement's tables and columns: about a tenth of the
    /// daemon's CPU time when every write compiled its statements afresh.) For SQL texts that
    /// do not vary: the cache keeps one statement per distinct text.
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// Runs `body` in a savepoint whose statements come from the statement cache: if it throws,
    /// what it wrote is rolled back and the error rethrown, while the enclosing transaction goes
    /// on. GRDB's `inSavepoint` compiles `SAVEPOINT` and `RELEASE` afresh each time: a tenth of
    /// the writer's CPU with a savepoint per reading and per command step (issue 7 profiles).
    /// Outside a transaction it is GRDB's `inSavepoint` (which opens one).
    func cachedSavepoint<T>(_ body: () throws -> T) throws -> T {
        // What the body stages in the account book rolls back with what it wrote.
        let book = AccountBook.current
        let mark = book?.mark()
        guard isInsideTransaction else {
            var result: T?
            do {
                try inSavepoint {
                    result = try body()
                    return .commit
                }
            } catch {
                if let book, let mark { book.rollBack(to: mark) }
                throw error
            }
            guard let result else { throw CachedSavepointError.noResult }
            return result
        }
        try executeCached(sql: "SAVEPOINT step")
        let result: T
        do {
            result = try body()
        } catch {
            if let book, let mark { book.rollBack(to: mark) }
            try executeCached(sql: "ROLLBACK TO SAVEPOINT step")
            try executeCached(sql: "RELEASE SAVEPOINT step")
            throw error
        }
        try executeCached(sql: "RELEASE SAVEPOINT step")
        return result
    }
}

/// A committed savepoint whose body returned nothing (cannot happen; named rather than trapped).
enum CachedSavepointError: Error, CustomStringConvertible {
    case noResult

    var description: String { "a committed savepoint returned no result" }
}
