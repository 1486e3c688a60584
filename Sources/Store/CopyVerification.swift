import GRDB
import Foundation

/// What `chargecontrold --restore` found in a database copy before letting it take the
/// database's place: each of the checks of `GET /v1/audit/verify`, plus SQLite's own.
public struct CopyVerification: Sendable, Hashable {
    /// `PRAGMA integrity_check`'s lines: `["ok"]` for a sound file.
    public let integrity: [String]
    /// The copy holds migrations this binary does not know (written by a newer one).
    public let isNewerSchema: Bool
    /// The audit chain, walked end to end.
    public let audit: AuditVerification
    /// Accounts whose stored balance differs from a replay of their ledger.
    public let balanceMismatches: [BalanceMismatch]
    /// Accounts checked.
    public let accounts: Int

    /// The first check that failed, in the order they run, named for the operator; nil when
    /// the copy passes them all.
    public var failure: String? {
        if integrity != ["ok"] {
            return "integrity check failed: " + integrity.prefix(5).joined(separator: "; ")
                + (integrity.count > 5 ? " (and \(integrity.count - 5) more)" : "")
        }
        if isNewerSchema { return "the copy was written by a newer chargecontrold (its schema has migrations this one does not know)" }
        if let broken = audit.firstBrokenID {
            return "audit chain broken at row \(broken): that row or one before it was changed, inserted or removed"
        }
        if let first = balanceMismatches.first {
            let replayed = first.replayed.map { "\($0.yuanString) yuan" } ?? "no replay (an entry cannot be read)"
            return "ledger replay differs from the stored balance of \(balanceMismatches.count) account(s), first \(first.accountID): "
                + "stored \(first.stored.yuanString) yuan, replayed \(replayed)"
        }
        return nil
    }
}

extension StationStore {
    /// Runs every check of a copy opened with `openReadOnly`: integrity, schema version, the
    /// audit chain and the ledger replay (the last two are `verifyAudit` and `verifyBalances`,
    /// what `GET /v1/audit/verify` runs). A check that cannot run (the file is not a station
    /// database) throws.
    public func verifyCopy() async throws -> CopyVerification {
        let (integrity, newer, accounts) = try await writer.read { db in
            // PostgreSQL checks its own pages; its schema's version is checked when it is opened.
            (try db.sqlite.map { _ in try String.fetchAll(db, sql: "PRAGMA integrity_check") } ?? ["ok"],
             try db.sqlite.map { try Schema.migrator.hasBeenSuperseded($0) } ?? false,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0)
        }
        // A damaged or newer file is not walked further: its rows may not mean what we read.
        guard integrity == ["ok"], !newer else {
            return CopyVerification(integrity: integrity, isNewerSchema: newer, audit: AuditVerification(rows: 0, firstBrokenID: nil),
                                    balanceMismatches: [], accounts: accounts)
        }
        return CopyVerification(integrity: integrity, isNewerSchema: newer, audit: try await verifyAudit(),
                                balanceMismatches: try await verifyBalances(), accounts: accounts)
    }
}
