import ChargeControl
import Crypto
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

/// Backups are whole, consistent copies; a restore checks the copy (integrity, audit chain,
/// ledger replay) before it takes the database's place, and refuses while the database is open.
@Suite("Store: backup and restore", .enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly))
struct BackupRestoreTests {
    /// A station file with two accounts and payments on one.
    static func station() async throws -> (store: StationStore, path: String, folder: String) {
        let (store, path) = try await temporaryStore()
        try await provision(store)
        try await provision(store, account: "A2", meter: "000000000002", opening: "7.00")
        for n in 1...5 {
            _ = try await store.recordPayment(PaymentRequest(orderNo: "P\(n)", accountID: "A1", amount: yuan("1.00"), channel: .counter,
                                                             paidAt: t0), receivedAt: t0)
        }
        return (store, path, (path as NSString).deletingLastPathComponent)
    }

    static func digest(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    @Test func aBackupIsAWholeCheckedCopyUnderATimeStampedName() async throws {
        let (store, _, folder) = try await Self.station()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let backups = folder + "/backups"
        let receipt = try await store.backup(into: backups, name: "station", at: t0)
        #expect(receipt.path == backups + "/station-" + StationStore.backupStamp(t0) + ".sqlite")
        #expect(StationStore.backupStamp(Date(timeIntervalSince1970: 1_795_000_000.25)) == "20261118T110640.250Z")
        #expect(receipt.bytes > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: backups) == [(receipt.path as NSString).lastPathComponent])
        let audit = try await store.verifyAudit()
        #expect(receipt.auditRows == audit.rows && audit.rows > 0)
        // The same name twice is refused rather than overwritten.
        await #expect(throws: BackupError.self) { _ = try await store.backup(into: backups, name: "station", at: t0) }

        let copy = try StationStore.openReadOnly(path: receipt.path)
        let check = try await copy.verifyCopy()
        #expect(check.failure == nil, "\(check)")
        #expect(check.accounts == 2 && check.audit.rows == audit.rows)
        #expect(try await copy.account("A1")?.balance == yuan("55.00"))
        try copy.close()
    }

    @Test func aRestoreRefusesAnOpenDatabaseThenReplacesItKeepingTheOld() async throws {
        let (store, path, folder) = try await Self.station()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receipt = try await store.backup(into: folder + "/backups", name: "station", at: t0)
        _ = try await store.recordPayment(PaymentRequest(orderNo: "AFTER", accountID: "A1", amount: yuan("9.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0)
        // Open (as the daemon keeps it): refused, nothing touched.
        do {
            _ = try await StationRestore.restore(copy: receipt.path, over: path, at: t0)
            Issue.record("a restore over an open database went ahead")
        } catch {
            #expect(error.kind == .databaseInUse && error.exitStatus == 75, "\(error)")
            #expect(error.message.contains("stop chargecontrold"), "\(error)")
        }
        #expect(try await store.account("A1")?.balance == yuan("64.00"))
        try store.close()

        let restored = try await StationRestore.restore(copy: receipt.path, over: path, at: t0)
        let previous = try #require(restored.previous)
        #expect(previous == path + ".before-restore-" + StationStore.backupStamp(t0))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data()
        #expect(wal.isEmpty, "the old database's log does not stay beside the restored one")
        #expect(FileManager.default.fileExists(atPath: receipt.path), "the backup itself stays")
        let back = try await reopen(path)
        #expect(try await back.account("A1")?.balance == yuan("55.00"))
        #expect(try await back.verifyAudit().isIntact)
        try back.close()
        // The database it replaced is whole on its own (its WAL was folded in before the rename).
        let old = try StationStore.openReadOnly(path: previous)
        #expect(try await old.account("A1")?.balance == yuan("64.00"))
        try old.close()
    }

    @Test func aCopyWithFlippedBytesIsRefusedAndTheDatabaseUntouched() async throws {
        let (store, path, folder) = try await Self.station()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receipt = try await store.backup(into: folder + "/backups", name: "station", at: t0)
        try store.close()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: receipt.path))
        // Past the header and the schema page: table and index pages.
        for offset in stride(from: bytes.count / 2, to: bytes.count, by: 97) { bytes[offset] ^= 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: receipt.path))
        let before = try Self.digest(path)
        await Self.expectRefused(copy: receipt.path, over: path)
        #expect(try Self.digest(path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains("before-restore") }.isEmpty)
    }

    @Test func aCopyWithAnEditedAuditRowIsRefused() async throws {
        let (store, path, folder) = try await Self.station()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receipt = try await store.backup(into: folder + "/backups", name: "station", at: t0)
        try store.close()
        // Edited around the append-only triggers, as someone with the file could.
        let edit = try DatabaseQueue(path: receipt.path)
        try await edit.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET detail = detail || ' (edited)' WHERE id = 2")
        }
        try edit.close()
        let before = try Self.digest(path)
        let message = await Self.expectRefused(copy: receipt.path, over: path)
        #expect(message.contains("audit chain broken at row 2"), "\(message)")
        #expect(try Self.digest(path) == before)
    }

    @Test func aCopyWhoseBalanceDisagreesWithItsLedgerIsRefused() async throws {
        let (store, path, folder) = try await Self.station()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receipt = try await store.backup(into: folder + "/backups", name: "station", at: t0)
        try store.close()
        let edit = try DatabaseQueue(path: receipt.path)
        try await edit.write { db in try db.execute(sql: "UPDATE account SET balance_micro_yuan = balance_micro_yuan + 1 WHERE id = 'A2'") }
        try edit.close()
        let message = await Self.expectRefused(copy: receipt.path, over: path)
        #expect(message.contains("ledger replay differs") && message.contains("A2"), "\(message)")
    }

    @Test func aMissingCopyIsNamed() async throws {
        do {
            _ = try await StationRestore.restore(copy: "/nonexistent/copy.sqlite", over: "/nonexistent/station.sqlite", at: t0)
            Issue.record("restored a missing copy")
        } catch {
            #expect(error.kind == .copyMissing && error.exitStatus == 66 && error.message.contains("/nonexistent/copy.sqlite"))
        }
    }

    /// Expects the restore to refuse the copy (exit 65) and returns its message.
    @discardableResult
    static func expectRefused(copy: String, over path: String) async -> String {
        do {
            _ = try await StationRestore.restore(copy: copy, over: path, at: t0)
            Issue.record("a bad copy was restored")
            return ""
        } catch {
            #expect(error.kind == .copyRefused && error.exitStatus == 65, "\(error)")
            #expect(error.message.contains("is untouched") || error.message.contains("cannot be checked"), "\(error)")
            return error.message
        }
    }
}
