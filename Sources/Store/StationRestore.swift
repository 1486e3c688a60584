import Foundation
import GRDB

/// Why a restore did not happen; the configured database is untouched in every case.
public struct RestoreFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The copy does not exist or cannot be read.
        case copyMissing
        /// The copy failed a check (integrity, schema, audit chain, ledger replay) or is not a
        /// station database at all.
        case copyRefused
        /// A process has the configured database open: the daemon is running.
        case databaseInUse
        /// A file step failed (copy, sync, rename).
        case fileError
    }

    public let kind: Kind
    public let message: String

    public var description: String { message }

    /// The exit status for `chargecontrold --restore` (sysexits.h: the operator's scripts can
    /// tell a bad copy from a running daemon).
    public var exitStatus: Int32 {
        switch kind {
        case .copyMissing: 66      // EX_NOINPUT
        case .copyRefused: 65      // EX_DATAERR
        case .databaseInUse: 75    // EX_TEMPFAIL: stop the daemon and run it again
        case .fileError: 74        // EX_IOERR
        }
    }
}

/// What a restore did.
public struct RestoreReceipt: Sendable, Hashable {
    public let verification: CopyVerification
    /// Where the database that was replaced now is; nil when there was none.
    public let previous: String?
}

/// `chargecontrold --restore FILE`: checks a copy, then puts it in the database's place.
///
/// Order, so that nothing is lost at any step: the copy is checked (`verifyCopy`); the database
/// is opened with an exclusive lock, which fails while any process (the daemon) has it open, and
/// its WAL is checkpointed into it; the copy is copied beside it under a temporary name and
/// fsynced; the database is renamed `NAME.before-restore-STAMP` (with a `-wal` left by a crash,
/// renamed along: it belongs to the old file, not to the copy; a `-shm` is removed); the copy is
/// renamed to NAME and the folder fsynced. The backup file itself stays where it was.
public enum StationRestore {
    public static func restore(copy: String, over database: String, at now: Date) async throws(RestoreFailure) -> RestoreReceipt {
        let verification = try await verify(copy: copy)
        if let failure = verification.failure {
            throw RestoreFailure(kind: .copyRefused, message: "\(copy) refused: \(failure); \(database) is untouched")
        }
        let exists = FileManager.default.fileExists(atPath: database)
        if exists { try closeOut(database) }
        let partial = database + ".restore-partial"
        let previous = exists ? database + ".before-restore-" + StationStore.backupStamp(now) : nil
        do {
            let folder = (database as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            try? FileManager.default.removeItem(atPath: partial)
            try FileManager.default.copyItem(atPath: copy, toPath: partial)
            try DurableFile.sync(partial)
            if let previous {
                try DurableFile.rename(database, to: previous)
            }
            if FileManager.default.fileExists(atPath: database + "-wal") {
                try DurableFile.rename(database + "-wal", to: (previous ?? database + ".stale") + "-wal")
            }
            try? FileManager.default.removeItem(atPath: database + "-shm")
            try DurableFile.rename(partial, to: database)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            // Whatever step failed, the database goes back where it was: a daemon started after a
            // failed restore must find the station, not create an empty one.
            var putBack = ""
            if let previous, !FileManager.default.fileExists(atPath: database), FileManager.default.fileExists(atPath: previous) {
                if FileManager.default.fileExists(atPath: previous + "-wal") { try? DurableFile.rename(previous + "-wal", to: database + "-wal") }
                putBack = (try? DurableFile.rename(previous, to: database)) != nil
                    ? "; the database was put back as it was"
                    : "; the database is at \(previous): move it back to \(database) before starting the daemon"
            }
            throw RestoreFailure(kind: .fileError, message: "cannot put \(copy) in place of \(database): \(error)\(putBack)")
        }
        return RestoreReceipt(verification: verification, previous: previous)
    }

    /// Opens the copy read-only and runs its checks.
    public static func verify(copy: String) async throws(RestoreFailure) -> CopyVerification {
        guard FileManager.default.isReadableFile(atPath: copy) else {
            throw RestoreFailure(kind: .copyMissing, message: "\(copy): no such readable file")
        }
        do {
            let store = try StationStore.openReadOnly(path: copy)
            defer { try? store.close() }
            return try await store.verifyCopy()
        } catch {
            throw RestoreFailure(kind: .copyRefused, message: "\(copy) refused: it cannot be checked as a station database (\(error))")
        }
    }

    /// Takes the database's exclusive lock (refused while the daemon, or anything, has it open),
    /// folds its WAL into it, and lets go: the file is then whole on its own.
    private static func closeOut(_ database: String) throws(RestoreFailure) {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        do {
            let queue = try DatabaseQueue(path: database, configuration: configuration)
            defer { try? queue.close() }
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
                try db.execute(sql: "BEGIN EXCLUSIVE")
                try db.execute(sql: "COMMIT")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw RestoreFailure(kind: .databaseInUse, message: """
                \(database) is in use (locked by another process): stop chargecontrold first \
                (systemctl stop chargecontrold), then run the restore again; nothing was changed
                """)
        } catch {
            throw RestoreFailure(kind: .fileError, message: "cannot open \(database) to replace it: \(error); nothing was changed")
        }
    }
}
