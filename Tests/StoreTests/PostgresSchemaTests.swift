import Foundation
import StationConfig
import GRDB
import PostgresNIO
import Testing
@testable import Store
import StorePostgres

/// The PostgreSQL engine's schema (issue 16) against the real server `make test` starts: the
/// same tables, columns, types, nullability and indexes as SQLite's latest migration, the same
/// guards, and a migrator that creates it once and refuses a newer database.
@Suite struct PostgresSchemaTests {
    /// `postgresql://` URLs, and what is wrong with bad ones (no server needed).
    @Test func locationsAreParsedAndBadOnesNamed() throws {
        let full = try PostgresLocation(url: "postgresql://station:s%40cret@db.example:6543/charge?sslmode=verify-full")
        #expect(full.host == "db.example" && full.port == 6543 && full.username == "station" && full.password == "s@cret")
        #expect(full.database == "charge" && full.tls == .verifyFull)
        #expect(full.description == "postgresql://station@db.example:6543/charge?sslmode=verify-full")
        let plain = try PostgresLocation(url: "postgres://station@127.0.0.1/charge")
        #expect(plain.port == 5432 && plain.password == nil && plain.tls == .disable)
        #expect(PostgresLocation.isURL("postgresql://x@y/z") && !PostgresLocation.isURL("/var/lib/chargecontrol/station.sqlite"))
        for (bad, says) in [("postgresql://station@db/", "no database name"), ("postgresql://db/charge", "no user"),
                            ("postgresql://a:pw@db/charge?sslmode=maybe", "sslmode maybe"),
                            ("postgresql://a@db/charge?timeout=3", "unknown parameter timeout"),
                            ("station.sqlite", "not a postgresql:// URL")] {
            do {
                _ = try PostgresLocation(url: bad)
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error is PostgresLocationError && "\(error)".contains(says), "\(bad): \(error)")
            }
        }
        // A password never shows in what is logged.
        #expect(!"\(full)".contains("s%40cret") && !"\(full)".contains("s@cret"))
    }

    struct Column: Hashable, CustomStringConvertible {
        let table: String, name: String, type: String, notNull: Bool
        var description: String { "\(table).\(name) \(type)\(notNull ? " NOT NULL" : "")" }
    }

    /// SQLite's tables at the latest migration, in PostgreSQL's terms.
    static func sqliteSchema() throws -> (columns: Set<Column>, indexes: Set<String>) {
        let store = try StationStore.inMemory()
        return try store.writer.read { db in
            var columns: Set<Column> = []
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('grdb_migrations', 'sqlite_sequence')
                """)
            for table in tables {
                for row in try SQLRow.fetchAll(db, sql: "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", arguments: [table]) {
                    let type: String = row["type"]
                    // A key column is NOT NULL in PostgreSQL (SQLite's rowid key is too, implicitly).
                    columns.insert(Column(table: table, name: row["name"], type: type == "INTEGER" ? "bigint" : type.lowercased(),
                                          notNull: (row["notnull"] as Int) != 0 || (row["pk"] as Int) != 0))
                }
            }
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            return (columns, Set(indexes))
        }
    }

    static func postgresSchema(_ connection: PostgresConnection) async throws -> (columns: Set<Column>, indexes: Set<String>) {
        var columns: Set<Column> = []
        let rows = try await connection.query("""
            SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name != 'schema_migrations'
            """, logger: PostgresTestServer.logger)
        for try await (table, name, type, nullable) in rows.decode((String, String, String, String).self) {
            columns.insert(Column(table: table, name: name, type: type, notNull: nullable == "NO"))
        }
        var indexes: Set<String> = []
        let names = try await connection.query("""
            SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
                AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'
            """, logger: PostgresTestServer.logger)
        for try await name in names.decode(String.self) { indexes.insert(name) }
        return (columns, indexes)
    }

    @Test(.enabled(if: PostgresTestServer.location != nil, PostgresTestServer.skipReason))
    func theBaselineIsSQLitesLatestSchemaColumnByColumn() async throws {
        try await PostgresTestServer.withDatabase { connection, _ in
            let found = try await PostgresMigrator.migrate(connection, logger: PostgresTestServer.logger)
            #expect(found.applied.isEmpty && found.pending == Schema.migrator.migrations)
            #expect(Schema.migrator.migrations.last == PostgresSchema.latestVersion)
            let sqlite = try Self.sqliteSchema()
            let postgres = try await Self.postgresSchema(connection)
            #expect(sqlite.columns.count > 100)
            #expect(postgres.columns.subtracting(sqlite.columns).isEmpty, "only in PostgreSQL: \(postgres.columns.subtracting(sqlite.columns))")
            #expect(sqlite.columns.subtracting(postgres.columns).isEmpty, "only in SQLite: \(sqlite.columns.subtracting(postgres.columns))")
            #expect(postgres.indexes == sqlite.indexes)
        }
    }

    @Test(.enabled(if: PostgresTestServer.location != nil, PostgresTestServer.skipReason))
    func theGuardsHoldAndTheMigratorRunsOnceAndRefusesANewerDatabase() async throws {
        try await PostgresTestServer.withDatabase { connection, _ in
            let logger = PostgresTestServer.logger
            try await PostgresMigrator.migrate(connection, logger: logger)
            try await connection.query("INSERT INTO terminal (id, host, port, updated_at) VALUES ('T1', '127.0.0.1', 9100, 0)", logger: logger)
            // A balance out of bounds is refused by the database itself, as SQLite's trigger does.
            await #expect(throws: PSQLError.self) {
                try await connection.query("""
                    INSERT INTO account (id, meter_address, terminal_id, tariff, region, balance_micro_yuan, created_at, updated_at)
                    VALUES ('A1', '000000000001', 'T1', 'r', 'n', 1000000000000001, 0, 0)
                    """, logger: logger)
            }
            try await connection.query("""
                INSERT INTO audit (at, event, detail, prev_hash, hash) VALUES (0, 'test', '', '', 'h')
                """, logger: logger)
            do {
                try await connection.query("UPDATE audit SET event = 'edited'", logger: logger)
                Issue.record("an audit row was updated")
            } catch let error as PSQLError {
                #expect(error.serverInfo?[.message] == "audit is append-only")
            }
            // Again: nothing to do.
            let again = try await PostgresMigrator.migrate(connection, logger: logger)
            #expect(again.applied == Schema.migrator.migrations && again.pending.isEmpty)
            // A database a newer binary migrated is refused, untouched.
            try await connection.query("INSERT INTO schema_migrations (identifier) VALUES ('v99: from the future')", logger: logger)
            await #expect(throws: NewerSchemaError.self) { try await PostgresMigrator.migrate(connection, logger: logger) }
        }
    }
}
