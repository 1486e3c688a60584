import Store
import Logging
import PostgresNIO

/// Brings a PostgreSQL station's schema to the one this binary writes (issue 16), in one
/// transaction (PostgreSQL's DDL is transactional: a failed migration leaves nothing behind).
/// The migrations it records are SQLite's names (`Schema.migrator`), so both engines report the
/// same version.
public enum PostgresMigrator {
    /// Creates the baseline in an empty database; refuses a database a newer binary migrated
    /// (`NewerSchemaError`), or one at a version with no PostgreSQL migration here. Returns the
    /// schema as it found it.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> SchemaState {
        let known = Schema.migrator.migrations
        let latest = known.last.map(SchemaState.version(of:)) ?? "v0"
        return try await transaction(connection, logger: logger) {
            // One migrator at a time: a second node starting now waits here, then finds it done.
            try await connection.query("SELECT pg_advisory_xact_lock(4500001)", logger: logger)
            let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
                .collect().first?.decode(Bool.self) ?? false
            guard exists else {
                for statement in PostgresSchema.baseline {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let baseline = known.prefix { $0 != PostgresSchema.baselineVersion } + [PostgresSchema.baselineVersion]
                for identifier in baseline {
                    try await connection.query("INSERT INTO schema_migrations (identifier) VALUES (\(identifier))", logger: logger)
                }
                try await runLater(after: Set(baseline), connection, logger: logger)
                return SchemaState(applied: [], pending: known, latestKnown: latest)
            }
            var applied: [String] = []
            for try await identifier in try await connection.query("SELECT identifier FROM schema_migrations", logger: logger)
                .decode(String.self) {
                applied.append(identifier)
            }
            let unknown = applied.filter { !known.contains($0) }.sorted()
            if !unknown.isEmpty {
                let newest = unknown.map(SchemaState.version(of:)).max { version($0) < version($1) } ?? "?"
                throw NewerSchemaError(fileVersion: newest, knownVersion: latest, unknown: unknown)
            }
            let pending = known.filter { !applied.contains($0) }
            // Every later SQLite migration needs its PostgreSQL twin (`PostgresSchema.later`).
            let twins = Set(PostgresSchema.later.map(\.name))
            let missing = pending.filter { !twins.contains($0) }
            guard missing.isEmpty else {
                throw PostgresMigrationMissing(pending: missing)
            }
            try await runLater(after: Set(applied), connection, logger: logger)
            return SchemaState(applied: applied.filter(known.contains), pending: pending, latestKnown: latest)
        }
    }

    /// Runs the twins of the migrations not in `applied`, in order, each recorded.
    private static func runLater(after applied: Set<String>, _ connection: PostgresConnection, logger: Logger) async throws {
        for (name, statements) in PostgresSchema.later where !applied.contains(name) {
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("INSERT INTO schema_migrations (identifier) VALUES (\(name))", logger: logger)
        }
    }

    /// Runs `body` in a transaction and rethrows its own error (PostgresNIO's `withTransaction`
    /// wraps it), rolling back first.
    private static func transaction<T>(_ connection: PostgresConnection, logger: Logger, _ body: () async throws -> T) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body()
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// `v16` → 16, for ordering versions.
    private static func version(_ name: String) -> Int { Int(name.drop { !$0.isNumber }) ?? 0 }
}

/// A PostgreSQL station behind this binary's schema by migrations it has no PostgreSQL form of.
public struct PostgresMigrationMissing: Error, CustomStringConvertible {
    public let pending: [String]
    public var description: String {
        "the PostgreSQL schema lacks migrations this binary has no PostgreSQL form of: \(pending.joined(separator: ", "))"
    }
}
