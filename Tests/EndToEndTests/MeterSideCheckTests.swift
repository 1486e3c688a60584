import Foundation
import GRDB
import StationHarness
import Store
import Testing

/// The crash rounds' and the soak's meter-side checker on a hand-made history: it must find a
/// request sent after the acknowledgement and a trip sent after a payment that made it
/// unnecessary, and accept what is fine.
struct MeterSideCheckTests {
    static let meter = "000000000001"
    static let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
    /// 2026-11-22 12:00:00 +08:00.
    static let deadlineMillis: Int64 = 1_795_320_000_000
    static let deadlineText = "2026-11-22 12:00:00"

    /// A store with account K1 on meter 1, and a trip command whose attempt began (audit
    /// "command_in_flight") at 1,000 ms, after a payment that left K1 at `balanceAfter`, acknowledged at 2,000 ms.
    func store(balanceAfter: Int64, chargeAfterPayment: Int64?) async throws -> (StationStore, URL) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meterside-\(UUID().uuidString).sqlite")
        let store = try StationStore.open(path: path.path)
        try await store.writer.write { db in
            try db.execute(sql: "INSERT INTO terminal (id, host, port, updated_at) VALUES ('T0', '127.0.0.1', 9, 0)")
            try db.execute(sql: """
                INSERT INTO account (id, meter_address, terminal_id, tariff, region, created_at, updated_at)
                VALUES ('K1', ?, 'T0', 't', 'r', 0, 0)
                """, arguments: [Self.meter])
            try db.execute(sql: "INSERT INTO ledger (id, account_id, kind, amount_micro_yuan, at) VALUES (1, 'K1', 'payment', ?, 500)",
                           arguments: [balanceAfter])
            try db.execute(sql: """
                INSERT INTO payment (order_no, account_id, amount_micro_yuan, channel, paid_at, received_at, ledger_id, balance_after_micro_yuan)
                VALUES ('O1', 'K1', ?, 'counter', 500, 500, 1, ?)
                """, arguments: [max(1, balanceAfter), balanceAfter])
            if let charge = chargeAfterPayment {
                try db.execute(sql: "INSERT INTO ledger (id, account_id, kind, amount_micro_yuan, at) VALUES (2, 'K1', 'charge', ?, 800)",
                               arguments: [charge])
            }
            try db.execute(sql: """
                INSERT INTO command (id, account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before,
                    deadline_at, next_attempt_at, state, acknowledged_at, updated_at)
                VALUES (7, 'K1', ?, 'trip', 'r', 'd', 0, 100, 100, ?, 100, 'acknowledged', 2000, 2000)
                """, arguments: [Self.meter, Self.deadlineMillis])
            for (id, at, event, command) in [(1, 100, "trip", 7), (2, 500, "payment", nil), (3, 1000, "command_in_flight", 7),
                                              (4, 2000, "command_acknowledged", 7)] as [(Int, Int, String, Int?)] {
                try db.execute(sql: """
                    INSERT INTO audit (id, at, event, account_id, command_id, detail, prev_hash, hash) VALUES (?, ?, ?, 'K1', ?, ?, '', '')
                    """, arguments: [id, at, event, command, event == "payment" ? "order O1: 1.00 yuan via counter" : ""])
            }
        }
        return (store, path)
    }

    func trip(at millis: Int64) -> ControlReceiptView {
        ControlReceiptView(address: Self.meter, atMillis: millis, command: "trip", deadline: Self.deadlineText)
    }

    @Test func aRequestAfterTheAcknowledgementIsFound() async throws {
        let (store, path) = try await store(balanceAfter: -1, chargeAfterPayment: nil)
        defer { try? FileManager.default.removeItem(at: path) }
        var check = MeterSideCheck()
        try await check.check([trip(at: 1500)], store: store, zone: Self.zone)
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.matched == 1)
        try await check.check([trip(at: 2500)], store: store, zone: Self.zone)
        #expect(check.problems.count == 1)
        #expect(check.problems.first?.contains("after command [7] was acknowledged") == true, "\(check.problems)")
        try await check.check([ControlReceiptView(address: Self.meter, atMillis: 2500, command: "trip", deadline: "2026-11-22 12:00:01")],
                              store: store, zone: Self.zone)
        #expect(check.matched == 2, "another deadline is another command")
    }

    /// Found by a 40-round run: command 7 acknowledged (resolved on site), command 8 of the same
    /// kind queued in the same second, later retried with a new deadline: its first request
    /// carries 7's deadline text and must not count as a resend of 7.
    @Test func aRequestOfALaterCommandWithTheSameDeadlineSecondIsNoResend() async throws {
        let (store, path) = try await store(balanceAfter: -1, chargeAfterPayment: nil)
        defer { try? FileManager.default.removeItem(at: path) }
        try await store.writer.write { db in
            try db.execute(sql: """
                INSERT INTO command (id, account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before,
                    deadline_at, next_attempt_at, state, acknowledged_at, updated_at)
                VALUES (8, 'K1', ?, 'trip', 'r', 'd', 0, 2400, 2400, ?, 2400, 'acknowledged', 3000, 3000)
                """, arguments: [Self.meter, Self.deadlineMillis + 1_000])
        }
        var check = MeterSideCheck()
        try await check.check([trip(at: 2500)], store: store, zone: Self.zone)
        #expect(check.problems.isEmpty, "\(check.problems)")
        try await check.check([trip(at: 3500)], store: store, zone: Self.zone)
        #expect(check.problems.count == 1, "no command of the kind was live at 3,500 ms")
    }

    @Test func aTripAfterAPaymentThatMadeItUnnecessaryIsFound() async throws {
        let (paid, paidPath) = try await store(balanceAfter: 3_000_000, chargeAfterPayment: nil)
        defer { try? FileManager.default.removeItem(at: paidPath) }
        var check = MeterSideCheck()
        try await check.check([trip(at: 1500)], store: paid, zone: Self.zone)
        #expect(check.tripsAfterPayment == 1)
        #expect(check.problems.count == 1)
        #expect(check.problems.first?.contains("although payment O1") == true, "\(check.problems)")

        // A charge booked before the trip reached the meter could have used the payment up: fine.
        let (charged, chargedPath) = try await store(balanceAfter: 3_000_000, chargeAfterPayment: 3_000_000)
        defer { try? FileManager.default.removeItem(at: chargedPath) }
        var fine = MeterSideCheck()
        try await fine.check([trip(at: 1500)], store: charged, zone: Self.zone)
        #expect(fine.tripsAfterPayment == 1)
        #expect(fine.problems.isEmpty, "\(fine.problems)")
    }
}
