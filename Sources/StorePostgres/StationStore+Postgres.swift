import Foundation
import StationConfig
import Store

extension StationStore {
    /// Opens the PostgreSQL station at `location` and brings its schema to this binary's (one
    /// node at a time: `PostgresMigrator`). A station on PostgreSQL has no snapshot file: its book
    /// loads from the rows. The rest as `open(path:)`.
    public static func open(postgres location: PostgresLocation, now: @escaping @Sendable () -> Date = { Date() },
                            loadBookBehind: Bool = false, beforeMigrating: (SchemaState) -> Void = { _ in }) async throws -> StationStore {
        let engine = try await PostgresEngine.open(location, beforeMigrating: beforeMigrating)
        do {
            return try StationStore(engine: engine, loadBookBehind: loadBookBehind, now: now)
        } catch {
            try? engine.close()
            throw error
        }
    }

    /// Opens a PostgreSQL station as it is (not migrated), to read it beside running nodes.
    public static func openReadOnly(postgres location: PostgresLocation) async throws -> StationStore {
        StationStore(readOnly: try await PostgresEngine.open(location, migrate: false))
    }
}
