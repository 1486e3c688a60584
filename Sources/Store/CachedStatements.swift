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
}
