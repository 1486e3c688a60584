import Foundation
import Logging
import Store
import Synchronization

/// `POST /v1/backup`: one online copy of the database at a time into `[station] backups`,
/// audited (`backup`, with the operator) and journaled (`EVENT=backup`).
///
/// A second request while a copy is being written is refused (`BackupInProgress`, 409) rather than
/// queued: a timer and an operator asking at once want one copy, not two back to back, and the
/// refusal names the copy under way.
public final class StationBackups: Sendable {
    /// The folder copies go to.
    public let folder: String
    /// The copies' name before the time stamp: the database file's name without its extension.
    public let name: String
    private let core: StationCore
    /// When the copy under way started; nil when none runs.
    private let running = Mutex<Date?>(nil)

    public init(core: StationCore, folder: String, database: String) {
        self.core = core
        self.folder = folder
        name = ((database as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// Writes a copy and records it; throws `BackupInProgress` while another is being written.
    public func backUp() async throws -> BackupReceipt {
        let now = core.clock.now
        if let since = running.withLock({ s -> Date? in
            if let since = s { return since }
            s = now
            return nil
        }) {
            throw BackupInProgress(since: since)
        }
        defer { running.withLock { $0 = nil } }
        let started = ContinuousClock.now
        let receipt: BackupReceipt
        do {
            receipt = try await core.store.backup(into: folder, name: name, at: now)
        } catch {
            core.logger.error("backup failed: \(error)", metadata: ["event": "backup"].merging(StationCore.actorMetadata) { $1 })
            throw error
        }
        let detail = "copy written to \(receipt.path): \(receipt.bytes) bytes, \(receipt.auditRows) audit rows"
        try await core.store.transaction { tx in try tx.audit(AuditEvent(at: now, event: "backup", detail: detail)) }
        let seconds = (ContinuousClock.now - started).components.seconds
        core.logger.notice("backup written: \(detail) in \(seconds) s", metadata: [
            "event": "backup", "path": "\(receipt.path)", "bytes": "\(receipt.bytes)", "audit_rows": "\(receipt.auditRows)",
        ].merging(StationCore.actorMetadata) { $1 })
        return receipt
    }
}

/// A backup was asked for while another was being written.
public struct BackupInProgress: Error, Sendable, Hashable, CustomStringConvertible {
    public let since: Date
    public var description: String { "a backup is being written already (started \(since)); ask again when it is done" }
}
