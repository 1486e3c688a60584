import BuildVersion
import ChargeControl
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing
@testable import Station

/// `/metrics`: the figures a scrape shows after some activity, the payment → allow-close latency
/// histogram, and the route itself.
@Suite struct MetricsTests {
    /// A1 (10.00 on T1, alarm queued at provisioning) pays 5.00; A2 on the offline T2 holds
    /// 100.00 with its own thresholds (alarm 150, trip 100), so it gets an alarm and a trip; the
    /// trip goes to job review. Then 90 s pass.
    @Test func scrapeAfterActivity() async throws {
        let fixture = try await APIFixture.make(online: ["T1": true, "T2": false])
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let core = fixture.core
        try await core.upsertTerminal(TerminalRecord(id: "T2", host: "127.0.0.1", port: 9101))
        _ = try await core.upsertAccount(AccountProvisioning(
            accountID: "A2", meterAddress: "000000000002", terminalID: "T2", tariff: "flat-test", region: "south",
            alarm: yuan("150.00"), trip: yuan("100.00"), openingBalance: yuan("100.00")))
        _ = try await core.pay(PaymentRequest(orderNo: "ORD-1", accountID: "A1", amount: yuan("5.00"), channel: .counter,
                                              paidAt: fixture.clock.now))
        let trip = try #require(try await fixture.store.commands(account: "A2").first { $0.kind == .trip })
        try await fixture.store.moveToReview(trip.id, reason: "terminal offline", at: fixture.clock.now)
        fixture.clock.advance(by: 90)

        let scrape = ParsedScrape(try await MetricsFixtureStats.metrics(fixture).scrape())

        // Commands by kind and state, as an independent read of both accounts' commands counts them.
        var expected: [String: Int] = [:]
        var depth = 0
        for account in ["A1", "A2"] {
            for c in try await fixture.store.commands(account: account) {
                // Settled commands are not read by a scrape (the dispatcher counts them).
                if [.pending, .inFlight, .review].contains(c.state) { expected["\(c.kind.rawValue)/\(c.state.rawValue)", default: 0] += 1 }
                if c.state == .pending || c.state == .inFlight { depth += 1 }
            }
        }
        #expect(expected["trip/review"] == 1 && expected["alarm/pending"] == 2, "\(expected)")
        for (key, count) in expected {
            let parts = key.split(separator: "/").map(String.init)
            #expect(scrape.value("chargecontrol_commands", [("kind", parts[0]), ("state", parts[1])]) == Double(count), "\(key)")
        }
        #expect(scrape.samples.keys.filter { $0.hasPrefix("chargecontrol_commands{") }.count == expected.count)
        #expect(scrape.value("chargecontrol_command_queue_depth") == Double(depth))
        #expect(scrape.value("chargecontrol_command_oldest_pending_age_seconds") == 90)
        #expect(scrape.value("chargecontrol_review_items_open") == 1)

        // Accounts: A1 15.00 is at or below the default alarm 20.00, not the trip 0.00; A2 100.00
        // is at or below its own alarm 150.00 and its own trip 100.00.
        #expect(scrape.value("chargecontrol_accounts_below_alarm") == 2)
        #expect(scrape.value("chargecontrol_accounts_below_trip") == 1)
        let a1 = try #require(try await fixture.store.account("A1"))
        let a2 = try #require(try await fixture.store.account("A2"))
        let states = [a1.state.rawValue, a2.state.rawValue]
        for state in Set(states) {
            #expect(scrape.value("chargecontrol_accounts", [("state", state)]) == Double(states.filter { $0 == state }.count))
        }

        // Terminals: T1 online, T2 not; reads from the collector, zero for T2 it has not read yet.
        #expect(scrape.value("chargecontrol_terminals") == 2)
        #expect(scrape.value("chargecontrol_terminals_online") == 1)
        #expect(scrape.value("chargecontrol_terminal_up", [("terminal", "T1")]) == 1)
        #expect(scrape.value("chargecontrol_terminal_up", [("terminal", "T2")]) == 0)
        #expect(scrape.value("chargecontrol_reads_ok_total", [("terminal", "T1")]) == 7)
        #expect(scrape.value("chargecontrol_reads_failed_total", [("terminal", "T1")]) == 2)
        #expect(scrape.value("chargecontrol_reads_ok_total", [("terminal", "T2")]) == 0)
        #expect(scrape.value("chargecontrol_abnormal_readings_total") == 3)
        #expect(scrape.value("chargecontrol_collection_cycle_duration_seconds") == 12.5)
        #expect(scrape.value("chargecontrol_collection_cycle_max_lag_seconds") == 0.8)
        #expect(scrape.value("chargecontrol_ingest_pending_readings") == 4)

        // Dispatcher counters, and an empty latency histogram.
        #expect(scrape.value("chargecontrol_dispatch_sent_total") == 4)
        #expect(scrape.value("chargecontrol_dispatch_acknowledged_total") == 3)
        #expect(scrape.value("chargecontrol_dispatch_in_flight") == 1)
        #expect(scrape.value("chargecontrol_payment_allow_close_latency_seconds_count") == 0)
        #expect(scrape.value("chargecontrol_reconnections_without_payment_total") == 0)

        // API connections, every reason written (zero included).
        #expect(scrape.value("chargecontrol_api_connections_open") == 3)
        #expect(scrape.value("chargecontrol_api_connections_cap") == 190)
        #expect(scrape.value("chargecontrol_api_connections_refused_total", [("reason", "evicted")]) == 5)
        #expect(scrape.value("chargecontrol_api_connections_refused_total", [("reason", "idle_timeout")]) == 2)
        #expect(scrape.value("chargecontrol_api_connections_refused_total", [("reason", "cap")]) == 0)
        #expect(scrape.value("chargecontrol_api_connections_refused_total", [("reason", "body_timeout")]) == 0)

        // Retention's deletes by table.
        #expect(scrape.value("chargecontrol_retention_pruned_total", [("table", "reading")]) == 1200)
        #expect(scrape.value("chargecontrol_retention_pruned_total", [("table", "outbox")]) == 7)
        // Coverage by class, the stale count, and the build.
        #expect(scrape.value("chargecontrol_collection_coverage_ratio", [("class", "default")]) == 0.75)
        #expect(scrape.value("chargecontrol_collection_coverage_ratio", [("class", "business")]) == 1)
        #expect(scrape.value("chargecontrol_collection_stale_meters") == 1)
        #expect(scrape.value("chargecontrol_build_info", [("version", BuildVersion.version)]) == 1)
        #expect(scrape.value("chargecontrol_account_book_loading") == 0)
        // This process's SQLite: at least the test's own open connections' caches.
        #expect((scrape.value("chargecontrol_sqlite_memory_bytes") ?? 0) > 0)

        // Every catalogued family is announced with its type and help.
        for metric in StationMetric.all {
            #expect(scrape.text.contains("# TYPE \(metric.name) "), "\(metric)")
            #expect(scrape.text.contains("# HELP \(metric.name) "), "\(metric)")
        }
    }

    /// Without a due pending command the age is 0; a trip deferred to a later window is not waiting.
    @Test func deferredCommandsDoNotAge() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let now = fixture.clock.now
        let alarm = try #require(try await fixture.store.commands(account: "A1").first)
        #expect(try await fixture.store.markInFlight(alarm.id, at: now))
        try await fixture.store.acknowledge(alarm.id, at: now)
        _ = try await fixture.store.transaction { tx in
            try tx.enqueue(PlannedCommand(kind: .trip, reason: .tripDeferredOutsideWindow, detail: "test", balance: .zero,
                                          notBefore: now.addingTimeInterval(3600), isDeferred: true),
                           account: "A1", meter: "000000000001", deadline: now.addingTimeInterval(86_400), at: now)
        }
        fixture.clock.advance(by: 600)
        let scrape = ParsedScrape(try await StationMetrics(core: fixture.core).scrape())
        #expect(scrape.value("chargecontrol_command_queue_depth") == 1)
        #expect(scrape.value("chargecontrol_command_oldest_pending_age_seconds") == 0)
        // Without a collector or dispatcher their families are absent, not zero.
        #expect(scrape.value("chargecontrol_dispatch_sent_total") == nil)
        #expect(!scrape.text.contains("chargecontrol_reads_ok_total"))
    }

    /// A payment received at 10:00:00.000 and its allow-close acknowledged 0.3 s later land in the
    /// 0.5 s bucket; a reconnection with no payment in the minute before it is counted apart.
    @Test func paymentToAllowCloseLatency() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let paidAt = fixture.clock.now
        let outcome = try await fixture.core.pay(PaymentRequest(orderNo: "ORD-7", accountID: "A1", amount: yuan("50.00"),
                                                                channel: .mobileApp, paidAt: paidAt))
        guard case .created(let receipt) = outcome else { throw Failure("payment not created: \(outcome)") }
        #expect(try await fixture.store.latestPaymentReceived(account: "A1", from: paidAt, through: paidAt) == receipt.receivedAt)

        let allowClose = try await enqueue(.allowClose, fixture, at: paidAt)
        fixture.clock.advance(by: 0.3)
        let latency = PaymentLatencyRecorder(store: fixture.store)
        let observer: CommandAcknowledgedObserver = latency.commandAcknowledged
        #expect(try await fixture.store.markInFlight(allowClose.id, at: fixture.clock.now))
        try await fixture.store.acknowledge(allowClose.id, at: fixture.clock.now)
        await observer(allowClose, fixture.clock.now)
        // Other kinds are not reconnections.
        await observer(try await enqueue(.alarmRelease, fixture, at: paidAt), fixture.clock.now)

        // Two hours later a direct close with no payment just before it.
        fixture.clock.advance(by: 7200)
        let directClose = try await enqueue(.directClose, fixture, at: fixture.clock.now)
        await observer(directClose, fixture.clock.now.addingTimeInterval(1))

        let scrape = ParsedScrape(try await StationMetrics(core: fixture.core, latency: latency).scrape())
        let name = "chargecontrol_payment_allow_close_latency_seconds"
        #expect(scrape.value(name + "_bucket", [("le", "0.25")]) == 0)
        #expect(scrape.value(name + "_bucket", [("le", "0.5")]) == 1)
        #expect(scrape.value(name + "_bucket", [("le", "60.0")]) == 1)
        #expect(scrape.value(name + "_bucket", [("le", "+Inf")]) == 1)
        #expect(scrape.value(name + "_count") == 1)
        let sum = try #require(scrape.value(name + "_sum"))
        #expect(abs(sum - 0.3) < 0.002)
        #expect(scrape.value("chargecontrol_reconnections_without_payment_total") == 1)
    }

    @Test func routeServesTextFormatToReaders() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let answer = try await client.execute(uri: "/metrics", method: .get,
                                                  headers: [.authorization: "Bearer \(TestToken.viewer)"]) { $0 }
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let scrape = ParsedScrape(String(buffer: answer.body))
            #expect(scrape.value("chargecontrol_terminal_up", [("terminal", "T1")]) == 1)
            #expect(scrape.value("chargecontrol_commands", [("kind", "alarm"), ("state", "pending")]) == 1)
        }
    }

    /// Queues `kind` for A1 at `at` (due at once).
    private func enqueue(_ kind: CommandKind, _ fixture: APIFixture, at: Date) async throws -> CommandRecord {
        let id = try await fixture.store.transaction { tx in
            try tx.enqueue(PlannedCommand(kind: kind, reason: .balanceAboveReconnectLevel, detail: "test", balance: yuan("60.00"),
                                          notBefore: at, isDeferred: false),
                           account: "A1", meter: "000000000001", deadline: at.addingTimeInterval(86_400), at: at)
        }
        return try await fixture.store.command(id)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
