import ChargeControl
import Foundation
import Testing
import Tariffs
@testable import Store

/// The ingest path's account access (issue 7): rows decoded by position, the account and its
/// baseline in one read, and one account update per reading.
@Suite struct AccountRowTests {
    /// The column names a SELECT lists, without table prefixes (an expression by its alias).
    static func selectedColumns(_ sql: String) -> [String] {
        guard let select = sql.range(of: "SELECT"), let from = sql.range(of: "FROM") else { return [] }
        // Split at the commas outside parentheses.
        var items: [Substring] = []
        var depth = 0
        var start = select.upperBound
        for i in sql[select.upperBound..<from.lowerBound].indices {
            switch sql[i] {
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                items.append(sql[start..<i])
                start = sql.index(after: i)
            default: break
            }
        }
        items.append(sql[start..<from.lowerBound])
        return items.map {
            let name = $0.trimmingCharacters(in: .whitespacesAndNewlines)
            if let alias = name.range(of: " AS ") { return String(name[alias.upperBound...]) }
            return name.split(separator: ".").last.map(String.init) ?? name
        }
    }

    @Test func positionalTextsListTheDecodedColumnsInOrder() {
        #expect(Self.selectedColumns(AccountRecord.selectByID) == AccountRecord.columns)
        #expect(Self.selectedColumns(AccountRecord.selectAll) == AccountRecord.columns)
    }

    @Test func accountAndBaselineComeInOneReadAndMoveWithOneUpdate() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store, opening: "50.00")
        let reading = MeterReading(collectedAt: t0.addingTimeInterval(60), meterTime: t0.addingTimeInterval(59),
                                   total: Energy(hundredths: 1234),
                                   registers: PerRegister(sharp: Energy(hundredths: 1), peak: Energy(hundredths: 2),
                                                          flat: Energy(hundredths: 3), valley: Energy(hundredths: 1228)))
        let position = TierYearPosition(yearStart: t0, used: Energy(hundredths: 77))
        #expect(try await store.meterAssignments().map(\.hasAcceptedReading) == [false])
        let before = try await store.transaction { tx in
            let (account, baseline) = try tx.accountForReading("A1")
            #expect(baseline == nil)
            let id = try tx.insertReading(reading, account: "A1", abnormal: [])
            let delta = try tx.insertChargeEntry(account: "A1", amount: yuan("1.25"), energy: Energy(hundredths: 50), readingID: id,
                                                 reference: "test", at: t0)
            #expect(delta == yuan("-1.25"))
            try tx.updateAccount("A1", state: .alarm, meter: MeterState(relay: .closed, alarm: true), meterSeenAt: reading.collectedAt,
                                 balanceDelta: delta, accepted: .init(id: id, at: reading.collectedAt, position: position), at: t0)
            return account
        }
        #expect(before.balance == yuan("50.00"))

        let (after, baseline) = try await store.transaction { tx in try tx.accountForReading("A1") }
        #expect(try await store.account("A1") == after)
        #expect(after.balance == yuan("48.75"))
        #expect(after.state == .alarm)
        #expect(after.meter == MeterState(relay: .closed, alarm: true))
        #expect(after.meterStateAt == reading.collectedAt)
        #expect(after.lastReadingAt == reading.collectedAt)
        #expect(after.tierYearStart == t0)
        #expect(after.tierYearUsed == Energy(hundredths: 77))
        #expect(baseline == reading)
        #expect(try await store.meterAssignments().map(\.hasAcceptedReading) == [true])
        // The cached balance still equals the ledger's replay.
        #expect(try await store.verifyBalances().isEmpty)
    }

    @Test func anUnknownAccountIsNamed() async throws {
        let (store, _) = try await temporaryStore()
        await #expect(throws: StoreError.unknownAccount("nobody")) {
            try await store.transaction { tx in _ = try tx.accountForReading("nobody") }
        }
        await #expect(throws: StoreError.unknownAccount("nobody")) {
            try await store.transaction { tx in try tx.updateAccount("nobody", state: .normal, meter: nil, at: t0) }
        }
    }
}
