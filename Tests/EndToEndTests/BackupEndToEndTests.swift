import Foundation
import GRDB
import LoopbackTools
import StationHarness
import Store
import Synchronization
import Testing

/// Backup and restore with the real daemon: a copy taken during a payment storm, restored by
/// `chargecontrold --restore` once the daemon is stopped, holds every payment acknowledged before
/// the copy was asked for, and its audit chain and ledgers verify; a restore is refused while the
/// daemon runs, and a damaged copy is refused with the check that failed, the database untouched.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct BackupEndToEndTests {
    /// Payments acknowledged (201) so far, in the order their answers came; and whether the
    /// storm should stop.
    final class Acknowledged: Sendable {
        private let orders = Mutex<[String]>([])
        private let stopped = Mutex(false)
        func add(_ order: String) { orders.withLock { $0.append(order) } }
        var all: [String] { orders.withLock { $0 } }
        func stop() { stopped.withLock { $0 = true } }
        var isStopped: Bool { stopped.withLock { $0 } }
    }

    static func restore(_ s: HarnessStation, copy: String) async throws -> ChildOutput {
        let binary = try #require(s.options.binaries).url("chargecontrold")
        return try await runToEnd(binary, ["--restore", copy, "--config", s.configURL.path], environment: childEnvironment(), within: 300)
    }

    static func contents(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func aBackupDuringAPaymentStormRestoresWithEveryAcknowledgedPayment() async throws {
        try await HarnessStation.with("backup-storm") { s in
            try await s.provisionTerminals()
            let accounts = 10
            try await s.provisionAccounts(accounts, opening: "1000.00")
            let acknowledged = Acknowledged()
            // The storm: 8 clients paying as fast as the daemon answers.
            let storm = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            var n = 0
                            while !acknowledged.isStopped {
                                n += 1
                                let order = "W\(worker)-\(n)"
                                let answer = try await s.pay(order, account: "A\((n + worker) % accounts + 1)", amount: "1.00")
                                guard answer.status == 201 else { throw HarnessFailure("payment \(order): \(answer)") }
                                acknowledged.add(order)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await s.eventually("100 payments acknowledged") { acknowledged.all.count >= 100 ? true : nil }
            // Everything acknowledged before the copy is asked for must be in it.
            let before = acknowledged.all
            async let first = s.call("POST", "/v1/backup")
            async let second = s.call("POST", "/v1/backup")
            let answers = try await [first, second]
            // Concurrent requests: one copy is written; a request that finds it under way gets 409.
            #expect(answers.allSatisfy { $0.status == 201 || $0.status == 409 }, "\(answers)")
            let written = answers.filter { $0.status == 201 }
            #expect(!written.isEmpty, "\(answers)")
            for refused in answers where refused.status == 409 {
                #expect(refused.text.contains("being written already"), "\(refused)")
            }
            let backup = try #require(written.first?.json)
            let path = try #require(backup["path"]?.string)
            #expect(path.hasPrefix(s.folder.appendingPathComponent("backups").path + "/station-"), "\(path)")
            #expect(try #require(backup["audit_rows"]?.int) > 0)
            // The storm goes on after the copy: payments flowed while it was written.
            let afterCopy = acknowledged.all.count
            try await s.eventually("more payments after the copy") { acknowledged.all.count >= afterCopy + 50 ? true : nil }
            acknowledged.stop()
            try await storm.value
            let audited = try await s.call("GET", "/v1/audit?limit=1000", token: s.viewerToken)
            #expect(audited.json?["items"]?.array.contains { $0["event"]?.string == "backup" && $0["actor"]?.string == "operator" } == true)

            // While the daemon runs the database is in use: refused, exit 75.
            let busy = try await Self.restore(s, copy: path)
            #expect(busy.status == 75, "\(busy.stdout)\(busy.stderr)")
            #expect(busy.stderr.contains("is in use") && busy.stderr.contains("stop chargecontrold"), "\(busy.stderr)")

            await s.daemon?.stop()
            let restored = try await Self.restore(s, copy: path)
            #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
            #expect(restored.stdout.contains("audit chain intact") && restored.stdout.contains("restored"), "\(restored.stdout)")
            let kept = try FileManager.default.contentsOfDirectory(atPath: s.folder.path).filter { $0.hasPrefix("station.sqlite.before-restore-") }
            #expect(kept.count == 1, "\(kept)")

            // The restored database: every payment acknowledged before the copy, the chain and ledgers whole.
            let store = try StationStore.openReadOnly(path: s.databasePath)
            let check = try await store.verifyCopy()
            #expect(check.failure == nil, "\(check)")
            let orders = try await store.writer.read { db in Set(try String.fetchAll(db, sql: "SELECT order_no FROM payment")) }
            let missing = before.filter { !orders.contains($0) }
            #expect(missing.isEmpty, "acknowledged before the backup but not in it: \(missing.prefix(10))")
            #expect(orders.count < acknowledged.all.count, "the copy holds the payments of its instant, not the later ones")
            try store.close()

            // The daemon starts on it and finds it intact.
            try await s.startDaemon()
            let verify = try await s.call("GET", "/v1/audit/verify", token: s.viewerToken)
            #expect(verify.json?["intact"]?.bool == true, "\(verify)")
        }
    }

    @Test func aDamagedCopyIsRefusedAndTheDatabaseLeftAlone() async throws {
        try await HarnessStation.with("backup-damaged") { s in
            try await s.provisionTerminals()
            try await s.provisionAccounts(4, opening: "100.00")
            for n in 1...20 { _ = try await s.pay("P\(n)", account: "A\(n % 4 + 1)", amount: "2.00") }
            let answer = try await s.call("POST", "/v1/backup")
            #expect(answer.status == 201, "\(answer)")
            let path = try #require(answer.json?["path"]?.string)
            await s.daemon?.stop()
            let database = try Self.contents(s.databasePath)

            // An audit row edited (around the append-only trigger, as someone holding the file could).
            let edited = s.folder.appendingPathComponent("edited.sqlite").path
            try FileManager.default.copyItem(atPath: path, toPath: edited)
            let queue = try DatabaseQueue(path: edited)
            try await queue.write { db in
                try db.execute(sql: "DROP TRIGGER audit_no_update")
                try db.execute(sql: "UPDATE audit SET detail = 'nothing happened' WHERE id = (SELECT MAX(id) FROM audit) - 3")
            }
            try queue.close()
            let refusedEdit = try await Self.restore(s, copy: edited)
            #expect(refusedEdit.status == 65, "\(refusedEdit.stderr)")
            #expect(refusedEdit.stderr.contains("audit chain broken at row"), "\(refusedEdit.stderr)")

            // Bytes flipped in the second half of the file.
            let flipped = s.folder.appendingPathComponent("flipped.sqlite").path
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for offset in stride(from: bytes.count / 2, to: bytes.count, by: 61) { bytes[offset] ^= 0x5A }
            try bytes.write(to: URL(fileURLWithPath: flipped))
            let refusedFlip = try await Self.restore(s, copy: flipped)
            #expect(refusedFlip.status == 65, "\(refusedFlip.stderr)")
            #expect(refusedFlip.stderr.contains("refused"), "\(refusedFlip.stderr)")

            #expect(try Self.contents(s.databasePath) == database, "the database was changed by a refused restore")
            #expect(try FileManager.default.contentsOfDirectory(atPath: s.folder.path).allSatisfy { !$0.contains("before-restore") })
            // The untouched copy still restores.
            let good = try await Self.restore(s, copy: path)
            #expect(good.status == 0, "\(good.stderr)")
        }
    }
}
