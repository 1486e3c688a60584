import ChargeControl
import Foundation
import GRDB
import StationHarness
import Store
import Tariffs
import Testing

/// The crash rounds' and the soak's invariants on a hand-made file: a healthy history passes,
/// and each kind of damage is named.
struct StationInvariantsTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    /// Account A1 with one payment (P1), a trip acknowledged and an alarm in review. Returns the
    /// store, the answer P1 got, and the two commands.
    func station() async throws -> (StationStore, HTTPAnswer, trip: Int64, alarm: Int64) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("invariants-\(UUID().uuidString).sqlite")
        let store = try StationStore.open(path: path.path)
        let t0 = Self.t0
        try await store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t0)
        _ = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T1", tariff: "r", region: "n",
                                          alarmThreshold: nil, tripThreshold: nil, isProtected: false,
                                          openingBalance: Money(microYuan: 5_000_000), at: t0)
        guard case .created(let receipt) = try await store.recordPayment(
            PaymentRequest(orderNo: "P1", accountID: "A1", amount: Money(microYuan: 1_000_000), channel: .counter, paidAt: t0),
            receivedAt: t0) else { throw HarnessFailure("P1 not created") }
        let answer = HTTPAnswer(status: 201, body: Data("""
            {"account_id": "A1", "amount_micro_yuan": \(receipt.amount.microYuan), "balance_micro_yuan": \(receipt.balanceAfter.microYuan)}
            """.utf8))
        let (trip, alarm) = try await store.transaction { tx in
            let planned = { (kind: CommandKind) in
                PlannedCommand(kind: kind, reason: .balanceAtOrBelowTrip, detail: "test", balance: .zero, notBefore: t0, isDeferred: false)
            }
            return (try tx.enqueue(planned(.trip), account: "A1", meter: "000000000001", deadline: t0.addingTimeInterval(60), at: t0),
                    try tx.enqueue(planned(.alarm), account: "A1", meter: "000000000001", deadline: t0.addingTimeInterval(60), at: t0))
        }
        _ = try await store.markInFlight(trip, at: t0)
        try await store.acknowledge(trip, at: t0)
        try await store.moveToReview(alarm, reason: "refused", at: t0)
        return (store, answer, trip, alarm)
    }

    @Test func aHealthyHistoryHolds() async throws {
        let (store, answer, _, _) = try await station()
        let check = try await StationInvariants.check(store, confirmed: ["P1": answer])
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.paymentsOnDisk == 1 && check.retries == 0 && check.inFlight.isEmpty)
        #expect(check.commandsByState == ["acknowledged": 1, "review": 1] && check.openReviewItems == ["command": 1])
    }

    @Test func eachDamageIsNamed() async throws {
        let (store, answer, trip, alarm) = try await station()
        try await store.writer.write { db in
            for (command, event) in [(trip, "command_acknowledged"), (999, "command_pending")] {
                try db.execute(sql: """
                    INSERT INTO audit (at, event, account_id, command_id, detail, prev_hash, hash) VALUES (0, ?, 'A1', ?, '', '', '')
                    """, arguments: [event, command])
            }
            try db.execute(sql: "UPDATE command SET state = 'pending' WHERE id = ?", arguments: [alarm])
        }
        let wrong = HTTPAnswer(status: 201, body: Data(answer.text.replacingOccurrences(of: "\"A1\"", with: "\"A2\"").utf8))
        let problems = try await StationInvariants.check(store, confirmed: ["P1": wrong, "P2": answer]).problems
        for expected in ["1 acknowledged payments lost: [\"P2\"]", "payment P1: on disk (account: A1",
                         "1 audit rows name commands that are gone", "command \(trip) trip acknowledged: acknowledged 2 times",
                         "command \(alarm) alarm pending: 1 open review items", "audit chain broken at"] {
            #expect(problems.contains { $0.hasPrefix(expected) }, "\(expected) not in \(problems)")
        }
        #expect(problems.count == 6, "\(problems)")
    }
}
