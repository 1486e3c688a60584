import GRDB

/// What opening a database found of its schema, before anything is written.
public struct SchemaState: Sendable, Hashable {
    /// Migrations applied to the file, oldest first.
    public let applied: [String]
    /// Migrations this binary knows and the file lacks, in the order they run.
    public let pending: [String]
    /// The version the binary migrates to (`v11`: the name of its last migration up to the colon).
    public let latestKnown: String

    package init(applied: [String], pending: [String], latestKnown: String) {
        self.applied = applied
        self.pending = pending
        self.latestKnown = latestKnown
    }

    /// The version a migration's name gives (`"v11: second alarm level"` → `v11`).
    package static func version(of migration: String) -> String {
        String(migration.prefix { $0 != ":" })
    }
}

/// The database was written by a newer binary: opening it here would run code that does not know
/// its tables. Nothing is written to it.
public struct NewerSchemaError: Error, CustomStringConvertible {
    /// The newest version applied to the file.
    public let fileVersion: String
    /// The newest version this binary knows.
    public let knownVersion: String
    /// Applied migrations this binary does not know.
    public let unknown: [String]

    package init(fileVersion: String, knownVersion: String, unknown: [String]) {
        self.fileVersion = fileVersion
        self.knownVersion = knownVersion
        self.unknown = unknown
    }

    public var description: String {
        "database schema \(fileVersion) is newer than this chargecontrold knows (\(knownVersion)); run the newer binary or restore a backup"
            + " (unknown migrations: \(unknown.joined(separator: ", ")))"
    }
}

extension Schema {
    /// The schema of the database behind `reader`: refuses one with migrations this binary does not
    /// know (`NewerSchemaError`), else names the pending ones. Only reads.
    static func check(_ reader: any DatabaseReader) throws -> SchemaState {
        let migrator = Schema.migrator
        let known = migrator.migrations
        let latest = known.last.map(SchemaState.version(of:)) ?? "v0"
        let applied = try reader.read { db in try migrator.appliedMigrations(db) }
        let appliedIDs = try reader.read { db in try migrator.appliedIdentifiers(db) }
        let unknown = appliedIDs.subtracting(known).sorted()
        if !unknown.isEmpty {
            let newest = unknown.map(SchemaState.version(of:)).max { versionNumber($0) < versionNumber($1) } ?? latest
            throw NewerSchemaError(fileVersion: newest, knownVersion: latest, unknown: unknown)
        }
        return SchemaState(applied: applied, pending: known.filter { !appliedIDs.contains($0) }, latestKnown: latest)
    }

    /// `v12` → 12; names not of that form sort first.
    private static func versionNumber(_ version: String) -> Int {
        Int(version.dropFirst()) ?? -1
    }
}
