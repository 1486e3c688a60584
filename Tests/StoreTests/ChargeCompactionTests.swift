import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

/// Retention's third step (`ChargeCompaction`): charges whose readings are gone fold into one
/// entry per account and local day — never across another kind of entry, never a charge whose
/// reading is still there — with every sum, balance and replay unchanged.
@Suite("Store: charge compaction")
struct ChargeCompactionTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? .current

    /// A1: charges every 6 hours over two local days (Shanghai), an adjustment between two of them;
    /// A2: one charge whose reading is still there.
    static func fill(_ store: StationStore, start: Date) async throws -> (charges: Int, keptReading: Int64) {
        try await provision(store)
        try await provision(store, account: "A2", meter: "000000000002")
        var count = 0
        for step in 0..<8 {
            let at = start.addingTimeInterval(Double(step) * 6 * 3600)
            _ = try await store.transaction { tx in
                let id = try tx.insertReading(RetentionTests.flat(Int64(step) * 10, at: at), account: "A1", abnormal: [])
                _ = try tx.postCharge(account: "A1", amount: Money(microYuan: 100_001 + Int64(step)), energy: Energy(hundredths: 10),
                                      readingID: id, reference: "reading \(id)", at: at)
            }
            count += 1
            if step == 2 {
                _ = try await store.recordAdjustment(AdjustmentRequest(adjustmentNo: "ADJ", accountID: "A1", amount: yuan("1.00"),
                                                                       reason: "refund"), receivedAt: at.addingTimeInterval(60))
            }
        }
        let kept = try await store.transaction { tx in
            let id = try tx.insertReading(RetentionTests.flat(5, at: start), account: "A2", abnormal: [])
            _ = try tx.postCharge(account: "A2", amount: yuan("0.50"), energy: Energy(hundredths: 5), readingID: id, reference: "r", at: start)
            _ = try tx.postCharge(account: "A2", amount: yuan("0.25"), energy: Energy(hundredths: 5), readingID: id, reference: "r", at: start)
            return id
        }
        return (count, kept)
    }

    /// Every batch of reading retention until done; returns the charges folded.
    static func prune(_ store: StationStore, before cutoff: Date, limit: Int) async throws -> Int {
        var cursor: Int64? = 0
        var folded = 0
        while let after = cursor {
            let batch = try await store.pruneReadings(before: cutoff, after: after, limit: limit, zone: shanghai)
            folded += batch.folded
            cursor = batch.resumeAfter
        }
        return folded
    }

    static func expectFoldedLedger(_ store: StationStore, start: Date) async throws {
        let after = try await store.ledger(account: "A1")
        let charges = after.filter { $0.kind == .charge }
        let expected: [Int64] = [300_006, 100_004, 400_026]  // 100,001…100,003; 100,004; 100,005…100,008
        #expect(charges.map(\.amount.microYuan) == expected, "\(after)")
        #expect(charges.first?.reference == "3 charges of 2026-11-23, readings past retention")
        #expect(charges.last?.reference == "4 charges of 2026-11-24, readings past retention")
        #expect(after.map(\.kind) == [.opening, .charge, .adjustment, .charge, .charge])
        // A folded entry keeps its day: the last charge's instant.
        #expect(charges.last?.at == start.addingTimeInterval(7 * 6 * 3600))
        #expect(try await store.verifyBalances().isEmpty)
        // A2's charges still name their reading (the newest of all, kept): untouched.
        #expect(try await store.ledger(account: "A2").filter { $0.kind == .charge }.count == 2)
    }

    /// 2026-11-23 00:00 Shanghai.
    static let start = Date(timeIntervalSince1970: 1_795_363_200)

    @Test func looseChargesFoldPerLocalDayWithEverySumKept() async throws {
        let (store, path) = try await temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        // Charges at 00, 06, 12, 18 (day 1) and 00, 06, 12, 18 (day 2); the adjustment after
        // the 12:00 charge of day 1.
        _ = try await Self.fill(store, start: Self.start)
        let balances = (try await store.account("A1")?.balance, try await store.account("A2")?.balance)
        // Batches of three readings: groups fold across batches (each batch folds into the
        // entry the one before left for that day).
        let folded = try await Self.prune(store, before: Self.start.addingTimeInterval(3 * 86_400), limit: 3)
        // Day 1: [00, 06, 12] | adjustment | [18]; day 2: [00, 06, 12, 18] → 2 + 3 folded.
        #expect(folded == 5)
        try await Self.expectFoldedLedger(store, start: Self.start)
        #expect((try await store.account("A1")?.balance, try await store.account("A2")?.balance) == balances)
    }

    @Test func aDayFoldsOverSeveralRuns() async throws {
        let (store, path) = try await temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        _ = try await Self.fill(store, start: Self.start)
        // First run: readings before day 2 06:00 go (day 1's four and day 2's first).
        #expect(try await Self.prune(store, before: Self.start.addingTimeInterval(86_400 + 6 * 3600), limit: 100) == 2)
        #expect(try await store.ledger(account: "A1").filter { $0.kind == .charge }.count == 6)
        // A later run: day 2's others fold into the entry day 2 already has.
        #expect(try await Self.prune(store, before: Self.start.addingTimeInterval(3 * 86_400), limit: 100) == 3)
        try await Self.expectFoldedLedger(store, start: Self.start)
    }

    @Test func foldedEntriesSayHowManyChargesTheyHold() {
        #expect(ChargeCompaction.foldedCount("12 charges of 2026-11-23, readings past retention") == 12)
        #expect(ChargeCompaction.foldedCount("reading 7: 0.10 kWh") == nil)
    }
}
