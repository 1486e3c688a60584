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

    @Test func looseChargesFoldPerLocalDayWithEverySumKept() async throws {
        let (store, path) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        // 2026-11-23 00:00 Shanghai: charges at 00, 06, 12, 18 (day 1) and 00, 06, 12, 18 (day 2),
        // the adjustment after the 12:00 charge of day 1.
        let start = Date(timeIntervalSince1970: 1_795_363_200)
        _ = try await Self.fill(store, start: start)
        let before = try await store.ledger(account: "A1")
        let balances = (try await store.account("A1")?.balance, try await store.account("A2")?.balance)
        // Readings of A1 pruned (ledger links cleared), A2's reading kept: only A1's charges are loose.
        try await store.writer.write { db in
            try db.execute(sql: "UPDATE ledger SET reading_id = NULL WHERE account_id = 'A1'")
        }
        let cutoff = start.addingTimeInterval(3 * 86_400)
        var cursor: String?
        var merged = 0
        repeat {
            let batch = try await store.compactCharges(before: cutoff, zone: Self.shanghai, after: cursor, accounts: 1)
            merged += batch.merged
            cursor = batch.resumeAfter
        } while cursor != nil
        // Day 1: [00, 06, 12] | adjustment | [18]; day 2: [00, 06, 12, 18] → 2 + 3 folded.
        #expect(merged == 5)
        let after = try await store.ledger(account: "A1")
        let charges = after.filter { $0.kind == .charge }
        #expect(charges.count == 3, "\(after)")
        let expected: [Int64] = [300_006, 100_004, 400_026]  // 100,001…100,003; 100,004; 100,005…100,008
        #expect(charges.map(\.amount.microYuan) == expected)
        #expect(charges.first?.reference == "3 charges of 2026-11-23, readings past retention")
        #expect(after.map(\.kind) == [.opening, .charge, .adjustment, .charge, .charge])
        let sumAfter: Int64 = charges.map(\.amount.microYuan).reduce(0, +)
        let sumBefore: Int64 = before.filter { $0.kind == .charge }.map(\.amount.microYuan).reduce(0, +)
        #expect(sumAfter == sumBefore)
        // The folded entry keeps its day: the last charge's instant.
        #expect(charges.last?.at == start.addingTimeInterval(7 * 6 * 3600))
        #expect(try await store.verifyBalances().isEmpty)
        #expect((try await store.account("A1")?.balance, try await store.account("A2")?.balance) == balances)
        // A2's charges still name their reading: untouched.
        #expect(try await store.ledger(account: "A2").filter { $0.kind == .charge }.count == 2)
        // Again: nothing left to fold.
        #expect(try await store.compactCharges(before: cutoff, zone: Self.shanghai).merged == 0)
    }

    @Test func chargesAtOrAfterTheCutoffStayAsTheyAre() async throws {
        let (store, path) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let start = Date(timeIntervalSince1970: 1_795_363_200)
        _ = try await Self.fill(store, start: start)
        try await store.writer.write { db in try db.execute(sql: "UPDATE ledger SET reading_id = NULL") }
        // The cutoff at day 2 06:00: only day 1's entries are before it.
        let batch = try await store.compactCharges(before: start.addingTimeInterval(86_400 + 6 * 3600), zone: Self.shanghai)
        // Day 1's [00, 06, 12] → 2 folded; day 2's 00:00 alone; A2's two (loose now, same day) → 1.
        #expect(batch.merged == 3)
        #expect(try await store.ledger(account: "A1").filter { $0.kind == .charge }.count == 6)
        #expect(try await store.verifyBalances().isEmpty)
    }
}
