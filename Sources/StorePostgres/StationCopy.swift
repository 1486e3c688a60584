import Store
import Foundation
import GRDB
import StationConfig

/// `chargecontrold --copy-database FROM TO` (issue 16): a station moved between engines, SQLite
/// to PostgreSQL or back. Every table is copied row for row with its keys (ids stay what they
/// were, so audit rows, ledger entries and commands still name each other), in the order their
/// foreign keys need; then the copy is verified as a backup is: its audit chain walked and every
/// balance compared with the replay of its ledger.
///
/// FROM must be at this binary's schema (start the daemon on it once to migrate) and is only
/// read; TO must be empty (a SQLite file that does not exist yet, or a PostgreSQL database with
/// no station in it). Both daemons must be stopped: the copy is of one consistent read.
public enum StationCopy {
    /// What a copy did.
    public struct Report: Sendable {
        /// Rows copied, by table, in the order they were copied.
        public var rows: [(table: String, rows: Int)] = []
        public var verification: CopyVerification?
    }

    /// Copies the station at `source` into `target` (each a SQLite path or a `postgresql://`
    /// URL) and verifies the copy. Throws `StationCopyError` naming what stopped it.
    public static func copy(from source: String, to target: String) async throws -> Report {
        let tables = try referenceTables()
        let from = try await openSource(source)
        defer { try? from.close() }
        let to = try await openTarget(target)
        defer { try? to.close() }
        var report = Report()
        let copied = try await copyRows(tables, from: from, to: to)
        report.rows = copied
        try to.close()
        let check = PostgresLocation.isURL(target)
            ? try await StationStore.openReadOnly(postgres: PostgresLocation(url: target))
            : try StationStore.openReadOnly(path: target)
        defer { try? check.close() }
        let verification = try await check.verifyCopy()
        report.verification = verification
        if let failure = verification.failure {
            throw StationCopyError("the copy in \(redacted(target)) failed its check: \(failure)")
        }
        return report
    }

    /// A table and the key its rows are read in order of.
    package struct Table {
        package let name: String
        package let key: String
        package let columns: [String]
    }

    /// This binary's tables, parents before children, from its SQLite schema (the reference both
    /// engines' schemas are checked against: `PostgresSchemaTests`).
    package static func referenceTables() throws -> [Table] {
        let reference = try DatabaseQueue()
        try Schema.migrator.migrate(reference)
        return try reference.read { db in
            let names = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name
                """)
            var parents: [String: Set<String>] = [:]
            var tables: [String: Table] = [:]
            for name in names {
                let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [name])
                let keys = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) WHERE pk > 0", arguments: [name])
                guard keys.count == 1, let key = keys.first else {
                    throw StationCopyError("table \(name) has no single-column key to copy it in order by")
                }
                tables[name] = Table(name: name, key: key, columns: columns)
                parents[name] = Set(try String.fetchAll(db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [name]))
                    .subtracting([name])
            }
            // Parents first (a table that refers to itself is copied in key order, parents first too).
            var ordered: [Table] = []
            var placed: Set<String> = []
            while ordered.count < names.count {
                guard let next = names.first(where: { !placed.contains($0) && (parents[$0] ?? []).isSubset(of: placed) }),
                      let table = tables[next] else {
                    throw StationCopyError("the tables' foreign keys form a cycle")
                }
                ordered.append(table)
                placed.insert(next)
            }
            return ordered
        }
    }

    private static func openSource(_ source: String) async throws -> StationStore {
        let store: StationStore
        if PostgresLocation.isURL(source) {
            store = try await StationStore.openReadOnly(postgres: PostgresLocation(url: source))
        } else {
            guard FileManager.default.fileExists(atPath: source) else { throw StationCopyError("no station file at \(source)") }
            store = try StationStore.openReadOnly(path: source)
        }
        let applied = try store.appliedMigrations()
        let known = Schema.migrator.migrations
        guard applied == known else {
            try? store.close()
            let version = applied.last.map(SchemaState.version(of:)) ?? "none"
            throw StationCopyError("\(redacted(source)) is at schema \(version), this binary writes \(SchemaState.version(of: known.last ?? "v0")): "
                + "start chargecontrold of this version on it once (it migrates), then copy")
        }
        return store
    }

    /// The target's engine, migrated and empty.
    private static func openTarget(_ target: String) async throws -> any StoreEngine {
        let engine: any StoreEngine
        if PostgresLocation.isURL(target) {
            engine = try await PostgresEngine.open(PostgresLocation(url: target))
        } else {
            guard !FileManager.default.fileExists(atPath: target) else {
                throw StationCopyError("\(target) exists: the copy goes into a new file")
            }
            let queue = try DatabaseQueue(path: target, configuration: StationStore.configuration())
            try Schema.migrator.migrate(queue)
            engine = SQLiteEngine(queue)
        }
        let held = try await engine.read { db in
            try Int.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM account) + (SELECT COUNT(*) FROM terminal) + (SELECT COUNT(*) FROM audit)
                    + (SELECT COUNT(*) FROM ledger)
                """) ?? 0
        }
        guard held == 0 else {
            try? engine.close()
            throw StationCopyError("\(redacted(target)) already holds a station (rows in account, terminal, audit or ledger): copy into an empty database")
        }
        return engine
    }

    /// Rows a statement inserts (a round trip each on PostgreSQL), under both engines' limits on
    /// a statement's arguments.
    static let argumentsPerStatement = 8_000

    private static func copyRows(_ tables: [Table], from: StationStore, to: any StoreEngine) async throws -> [(table: String, rows: Int)] {
        let source = from.writer
        // One transaction on each side: the copy is of one state, and all of it or none lands.
        return try await to.write { target in
            try source.read { db in
                // What the migrations seeded (the book's row, review due times) gives way to the source's.
                for table in tables.reversed() {
                    try target.execute(sql: "DELETE FROM \(table.name)")
                }
                var counts: [(table: String, rows: Int)] = []
                for table in tables {
                    counts.append((table.name, try copy(table, from: db, to: target)))
                }
                try target.execute(sql: "UPDATE account_book SET snapshot_token = NULL")
                if target.engine == .postgres { try restartIdentities(tables, in: target) }
                return counts
            }
        }
    }

    /// Copies one table in pages by its key; returns the rows copied.
    private static func copy(_ table: Table, from db: SQLSession, to target: SQLSession) throws -> Int {
        let columns = table.columns.joined(separator: ", ")
        let page = max(1, argumentsPerStatement / table.columns.count)
        let row = "(" + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        // The first page has no key before it: NULL compares as nothing, so it is written out.
        let first = "SELECT \(columns) FROM \(table.name) ORDER BY \(table.key) LIMIT \(page)"
        let next = "SELECT \(columns) FROM \(table.name) WHERE \(table.key) > ? ORDER BY \(table.key) LIMIT \(page)"
        var after: SQLValue?
        var copied = 0
        while true {
            let rows = try SQLRow.fetchAll(db, sql: after == nil ? first : next, arguments: SQLArguments(values: after.map { [$0] } ?? []))
            guard !rows.isEmpty else { return copied }
            let placeholders = Array(repeating: row, count: rows.count).joined(separator: ", ")
            try target.execute(sql: "INSERT INTO \(table.name) (\(columns)) VALUES \(placeholders)",
                               arguments: SQLArguments(values: rows.flatMap(\.values)))
            copied += rows.count
            if let last = rows.last, let key = last.columns.index(of: table.key) { after = last[key] }
        }
    }

    /// PostgreSQL's identities continue after the largest id copied (rows given their id do not move them).
    private static func restartIdentities(_ tables: [Table], in db: SQLSession) throws {
        let identities = try SQLRow.fetchAll(db, sql: """
            SELECT table_name, column_name FROM information_schema.columns WHERE is_identity = 'YES' AND table_schema = current_schema()
            """)
        for identity in identities {
            let name = try identity.decode(String.self, atIndex: 0)
            let column = try identity.decode(String.self, atIndex: 1)
            // The schema's identities are its tables' keys.
            guard let table = tables.first(where: { $0.name == name && $0.key == column }) else { continue }
            try db.execute(sql: "SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(\(table.key)) FROM \(table.name)), 0) + 1, false)",
                           arguments: [table.name, table.key])
        }
    }

    /// A location for messages: a URL without its password.
    static func redacted(_ location: String) -> String {
        guard PostgresLocation.isURL(location) else { return location }
        return (try? PostgresLocation(url: location).description) ?? "(a postgresql:// URL)"
    }
}

/// Why a copy did not happen or did not verify.
public struct StationCopyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
