import Foundation
import GRDB

/// A database copy written by `StationStore.backup(into:name:)`.
public struct BackupReceipt: Sendable, Hashable {
    /// The copy's absolute path.
    public let path: String
    /// Its size in bytes.
    public let bytes: Int64
    /// Audit rows in the copy: the trail up to the instant the copy was taken.
    public let auditRows: Int
}

extension StationStore {
    /// Pages copied per step of SQLite's online backup (4 MiB at 1 KiB pages, 16 MiB at 4 KiB).
    public static let backupPagesPerStep: Int32 = 4096

    /// Writes an online, consistent copy of the database into `folder` (created if missing) as
    /// `NAME-YYYYMMDDTHHMMSS.mmmZ.sqlite` (UTC; `name` is the database file's name without its
    /// extension) and returns it.
    ///
    /// The copy is SQLite's online backup run in one read transaction of the pool: it is the
    /// database as of the instant the copy started (every write committed before is in it), and
    /// in WAL mode the writer is never blocked: payments and readings commit while it runs. It is
    /// written under a `.partial` name, switched to a single file (`journal_mode = DELETE`),
    /// fsynced, then renamed into place and the folder fsynced: a copy under the final name is
    /// whole.
    public func backup(into folder: String, name: String, at now: Date) async throws -> BackupReceipt {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o750])
        let path = (folder as NSString).appendingPathComponent("\(name)-\(Self.backupStamp(now)).sqlite")
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BackupError("\(path) exists already")
        }
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let auditRows = try await copy(to: partial)
            try DurableFile.sync(partial)
            try DurableFile.rename(partial, to: path)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
            return BackupReceipt(path: path, bytes: size?.int64Value ?? 0, auditRows: auditRows)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// The online backup into a new file at `path`; returns the audit rows the copy holds.
    private func copy(to path: String) async throws -> Int {
        let destination = try DatabaseQueue(path: path)
        defer { try? destination.close() }
        // `read` runs on one of the pool's reader connections inside a read transaction: the
        // snapshot stays put across steps, so concurrent commits neither restart nor tear it.
        try await writer.read { session in
            guard let source = session.sqlite else {
                throw BackupError("a PostgreSQL station is backed up with PostgreSQL's own tools (pg_dump, pg_basebackup; README)")
            }
            try destination.writeWithoutTransaction { copy in
                try source.backup(to: copy, pagesPerStep: Self.backupPagesPerStep)
            }
        }
        return try await destination.writeWithoutTransaction { db in
            // One self-contained file (the source's header says WAL).
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit") ?? 0
        }
    }

    /// `20261101T020000.123Z`: sorts by time, unique per millisecond, no characters a shell or
    /// another file system would trip over.
    static func backupStamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return formatter.string(from: date)
    }
}

/// A backup that could not be written.
public struct BackupError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
