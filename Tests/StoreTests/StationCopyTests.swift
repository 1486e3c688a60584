import ChargeControl
import Foundation
import StationConfig
import Testing
@testable import Store
import StorePostgres

/// `chargecontrold --copy-database` (issue 16): a SQLite station copied into PostgreSQL and back
/// keeps every row and id, verifies (audit chain, ledger replay), and goes on working.
@Suite(.enabled(if: PostgresTestServer.location != nil, PostgresTestServer.skipReason))
struct StationCopyTests {
    /// A SQLite station with payments, readings, an adjustment and commands in it.
    static func busyStation() async throws -> (StationStore, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("station.sqlite").path
        let store = try StationStore.open(path: path)
        try await provision(store, account: "A1", meter: "000000000001", opening: "50.00")
        try await provision(store, account: "A2", meter: "000000000002", opening: "8.00")
        for (n, account) in ["A1", "A2", "A1"].enumerated() {
            _ = try await store.recordPayment(PaymentRequest(orderNo: "P\(n)", accountID: account, amount: yuan("10.00"), channel: .counter,
                                                             paidAt: t0), receivedAt: t0)
        }
        try await AccountBookTests.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        try await AccountBookTests.bill(store, "A1", minutes: 15, total: 120, charge: "1.60")
        try await AccountBookTests.bill(store, "A2", minutes: 0, total: 500, charge: nil)
        try await AccountBookTests.bill(store, "A2", minutes: 15, total: 530, charge: "2.40")
        _ = try await store.recordAdjustment(AdjustmentRequest(adjustmentNo: "ADJ1", accountID: "A2", amount: yuan("-0.50"),
                                                               reason: "meter swap"), receivedAt: t0)
        for kind in [CommandKind.alarm, .trip] {
            _ = try await store.writer.write { db in
                try CommandQueue.enqueue(planned(kind), account: "A2", meter: "000000000002", deadline: t0.addingTimeInterval(86_400),
                                         at: t0, in: db)
            }
        }
        // Folded into the rows, as a stopped daemon leaves them.
        _ = try await store.foldAccountRows(limit: 100)
        return (store, path)
    }

    /// Every table's rows, as text, by table: what a copy must keep.
    static func contents(_ store: StationStore) async throws -> [String: [String]] {
        let tables = try StationCopy.referenceTables()
        return try await store.writer.read { db in
            var contents: [String: [String]] = [:]
            for table in tables {
                contents[table.name] = try SQLRow.fetchAll(db, sql: """
                    SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.key)
                    """).map { $0.values.map(\.description).joined(separator: "|") }
            }
            return contents
        }
    }

    @Test func aSQLiteStationGoesIntoPostgreSQLAndBackUnchanged() async throws {
        let (store, path) = try await Self.busyStation()
        let before = try await Self.contents(store)
        try store.close()
        #expect(before["audit"]?.count ?? 0 > 5 && before["command"]?.count == 2 && before["reading"]?.count == 4)

        let postgres = try await PostgresTestServer.createDatabase()
        let there = try await StationCopy.copy(from: path, to: postgres.url)
        #expect(there.verification?.failure == nil)
        #expect(there.rows.first { $0.table == "audit" }?.rows == before["audit"]?.count)
        let copied = try await StationStore.open(postgres: postgres)
        #expect(try await Self.contents(copied) == before)
        #expect(try await copied.verifyBalances().isEmpty)
        // It goes on: new rows take ids after the copied ones.
        _ = try await copied.recordPayment(PaymentRequest(orderNo: "P9", accountID: "A1", amount: yuan("1.00"), channel: .counter,
                                                          paidAt: t0), receivedAt: t0)
        #expect(try await copied.verifyAudit().isIntact)
        let after = try await Self.contents(copied)
        try copied.close()

        let back = path + ".back.sqlite"
        let report = try await StationCopy.copy(from: postgres.url, to: back)
        #expect(report.verification?.failure == nil)
        let returned = try StationStore.open(path: back)
        #expect(try await Self.contents(returned) == after)
        try returned.close()
    }

    @Test func aCopyIntoAStationOrAnExistingFileIsRefused() async throws {
        let (store, path) = try await Self.busyStation()
        try store.close()
        let postgres = try await PostgresTestServer.createDatabase()
        _ = try await StationCopy.copy(from: path, to: postgres.url)
        await #expect { try await StationCopy.copy(from: path, to: postgres.url) } throws: { error in
            "\(error)".contains("already holds a station (rows in account, terminal, audit or ledger)")
        }
        await #expect { try await StationCopy.copy(from: postgres.url, to: path) } throws: { error in
            "\(error)".contains("exists: the copy goes into a new file")
        }
        await #expect { try await StationCopy.copy(from: path + ".missing", to: path + ".new") } throws: { error in
            "\(error)".contains("no station file at")
        }
    }
}
