import Foundation
import GRDB
import StationHarness
import Store
import Testing

/// A retention soak with the real daemon: meters read flat out (every 200 ms), readings kept 6 s.
/// Once the stored readings have been replaced three times over, neither the readings table, nor
/// the ledger (old charges folded per account and day), nor the file has grown with them: each
/// stays within twice what it was when retention first ran (the rate may wander on a loaded machine; the inserts grew by far more). No reading
/// older than the limit outlives a run but the ones kept on purpose (baselines, review items).
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct RetentionEndToEndTests {
    static let keepSeconds = 6

    /// The bytes of the pages the readings table holds (SQLite's dbstat table).
    static func readingTableBytes(_ store: StationStore) async throws -> Int {
        try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT SUM(pgsize) FROM dbstat WHERE name = 'reading'") ?? 0 }
    }

    static func ledgerRows(_ store: StationStore) async throws -> Int {
        try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger") ?? 0 }
    }

    @Test func readingsStayBoundedWhileMetersAreReadFlatOut() async throws {
        var options = StationOptions()
        options.meters = 20
        options.collectionInterval = "200ms"
        options.extraConfig = """
            [retention]
            readings = "\(Self.keepSeconds)s"
            outbox = "1m"
            interval = "1s"
            batch = 500
            """
        try await HarnessStation.with("retention-soak", options) { s in
            try await s.provisionTerminals()
            try await s.provisionAccounts(options.meters, opening: "100000.00")
            let watcher = try StationStore.openReadOnly(path: s.databasePath)
            defer { try? watcher.close() }

            try await s.eventually("retention deleting readings", within: 120) { () async throws -> Bool? in
                try await s.metric("chargecontrol_retention_pruned_total") > 0 ? true : nil
            }
            let middle = try await watcher.storageFigures()
            let middleTable = try await Self.readingTableBytes(watcher)
            let middleLedger = try await Self.ledgerRows(watcher)
            let middleID = try await watcher.latestReadingID() ?? 0
            // Three standing populations more inserted (at least 600 readings).
            let target = middleID + Int64(max(3 * middle.readings, 600))
            try await s.eventually("\(target - middleID) more readings", within: 300) { () async throws -> Bool? in
                try await watcher.latestReadingID() ?? 0 >= target ? true : nil
            }
            let end = try await watcher.storageFigures()
            let endTable = try await Self.readingTableBytes(watcher)
            let inserted = (try await watcher.latestReadingID() ?? 0) - middleID
            let ledger = try await Self.ledgerRows(watcher)
            print("[retention-soak] middle: \(middle.readings) readings in \(middleTable) bytes, file \(middle.bytes) bytes, "
                + "\(middleLedger) ledger entries; end: \(end.readings) readings in \(endTable) bytes, file \(end.bytes) bytes "
                + "(free \(end.freeBytes)), \(ledger) ledger entries; \(inserted) inserted between")
            // Charges whose readings are gone fold into one entry per account and day: the ledger
            // does not grow with the readings either (one more entry per account if the soak
            // crosses the station's midnight), and so neither does the file.
            #expect(ledger <= 2 * middleLedger + 2 * options.meters, "ledger \(middleLedger) → \(ledger) after \(inserted) inserts")
            #expect(end.bytes <= 2 * middle.bytes + 64 * 1024, "file \(middle.bytes) → \(end.bytes) bytes after \(inserted) inserts")
            #expect(end.readings <= 2 * middle.readings + options.meters, "\(middle) → \(end) after \(inserted) inserts")
            // The readings' pages (table, no index since v4): freed pages are reused, so they do not grow
            // with the inserts.
            #expect(endTable <= 2 * middleTable + 8 * 4096, "\(middleTable) → \(endTable) bytes after \(inserted) inserts")

            // Nothing older than the limit (with room for a run under load) survives but what is kept on purpose.
            let cutoff = StoredInstant.millis(Date()) - Int64(Self.keepSeconds + 30) * 1000
            let stale = try await watcher.writer.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM reading WHERE collected_at < ?
                        AND id NOT IN (SELECT last_reading_id FROM account WHERE last_reading_id IS NOT NULL)
                        AND id NOT IN (SELECT reading_id FROM review_item WHERE reading_id IS NOT NULL)
                    """, arguments: [cutoff]) ?? -1
            }
            #expect(stale == 0)
            // The ledger still balances (its charges' links to deleted readings are cleared), the chain is whole.
            let verify = try await s.call("GET", "/v1/audit/verify", token: s.viewerToken)
            #expect(verify.json?["intact"]?.bool == true, "\(verify)")
            let logged = tail(of: s.daemonLog, lines: 100_000).split(separator: "\n").filter { $0.contains("event=retention") }
            #expect(logged.contains { $0.contains("readings deleted") || $0.contains(" readings, ") }, "\(logged.suffix(3))")
        }
    }
}
