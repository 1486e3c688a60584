import Foundation
import GRDB
import Synchronization

/// Whether the store's writes make progress, for `/healthz`: when a write round last committed,
/// the last write failure (kept until a later round commits) and how long the round under way
/// has run. Every write but a bulk load goes through `GroupCommit`, which records here.
public struct StoreWriteHealth: Sendable, Hashable {
    /// A write that failed because the file or the disk refused it.
    public struct Failure: Sendable, Hashable {
        public var at: Date
        /// The error, as SQLite gave it (e.g. `SQLite error 13: database or disk is full`).
        public var detail: String

        public init(at: Date, detail: String) {
            self.at = at
            self.detail = detail
        }
    }

    /// When a write round last committed (nil: none since the store opened).
    public var lastCommit: Date?
    /// The last failed write, kept until a later round commits without one.
    public var failure: Failure?
    /// When the round being committed now began (nil: none under way).
    public var roundStarted: Date?

    public init(lastCommit: Date? = nil, failure: Failure? = nil, roundStarted: Date? = nil) {
        self.lastCommit = lastCommit
        self.failure = failure
        self.roundStarted = roundStarted
    }

    /// Whether `error`, thrown by one write, says the storage refused it rather than the write
    /// itself being wrong (a constraint, a missing row): read-only file or folder, full disk, I/O
    /// error, lock held elsewhere past the busy timeout, a damaged file.
    static func isStorageFailure(_ error: any Error) -> Bool {
        if let error = error as? any StorageFailureTelling { return error.isStorageFailure }
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_BUSY, .SQLITE_LOCKED,
                .SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode)
    }
}

/// `StoreWriteHealth` kept up to date by the group commit, timed by the store's clock.
final class StoreWriteHealthRecorder: Sendable {
    private let now: @Sendable () -> Date
    private let state = Mutex(StoreWriteHealth())

    init(now: @escaping @Sendable () -> Date) { self.now = now }

    var current: StoreWriteHealth { state.withLock { $0 } }

    func roundStarted() {
        let at = now()
        state.withLock { $0.roundStarted = at }
    }

    /// A round ended: committed (`failure` nil), or failed with the error that stopped it or
    /// that one of its writes met.
    func roundEnded(failure: (any Error)?) {
        let at = now()
        state.withLock { s in
            s.roundStarted = nil
            if let failure {
                s.failure = StoreWriteHealth.Failure(at: at, detail: "\(failure)")
            } else {
                s.lastCommit = at
                s.failure = nil
            }
        }
    }
}

/// An error of another engine than SQLite that can tell whether the storage refused the write
/// (its disk, its connection) rather than the write being wrong (PostgreSQL's: `PostgresStoreError`).
package protocol StorageFailureTelling: Error {
    var isStorageFailure: Bool { get }
}
