import Foundation
import Logging
import PostgresNIO
import StationConfig
import Testing
@testable import Store
import StorePostgres

/// A PostgreSQL station whose connections the server drops (a restart, a failover of the
/// database, an administrator's `pg_terminate_backend`): the next write either finds the
/// connection closed and opens another, or fails under it (counted against the store's health,
/// nothing of it kept); the one after commits either way.
@Suite(.enabled(if: PostgresTestServer.location != nil, PostgresTestServer.skipReason))
struct PostgresConnectionLossTests {
    @Test func aDroppedConnectionCostsAtMostOneWrite() async throws {
        let location = try await PostgresTestServer.createDatabase()
        let store = try await StationStore.open(postgres: location)
        try await provision(store)
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("1.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0)
        // Every other connection to the station's database, the store's writer among them, dropped.
        let admin = try await PostgresTestServer.connect(#require(PostgresTestServer.location))
        try await admin.query(PostgresQuery(unsafeSQL: """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(location.database)' AND pid != pg_backend_pid()
            """), logger: PostgresTestServer.logger)
        try await admin.close()

        // Whether NIO has seen the close before the next write is a race: both ways are checked.
        let second: Bool
        do {
            _ = try await store.recordPayment(PaymentRequest(orderNo: "P2", accountID: "A1", amount: yuan("1.00"), channel: .counter,
                                                             paidAt: t0), receivedAt: t0)
            second = true
        } catch {
            #expect(store.writeHealth.failure != nil, "\(store.writeHealth)")
            second = false
        }
        print("aDroppedConnectionCostsAtMostOneWrite: the write after the drop \(second ? "reconnected" : "failed")")
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P3", accountID: "A1", amount: yuan("1.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0)
        #expect(store.writeHealth.failure == nil && store.writeHealth.lastCommit != nil)
        #expect((try await store.payment(orderNo: "P2") != nil) == second)
        #expect(try await store.account("A1")?.balance == yuan(second ? "53.00" : "52.00"))
        #expect(try await store.verifyBalances().isEmpty)
        #expect(try await store.verifyAudit().isIntact)
        try store.close()
    }
}
