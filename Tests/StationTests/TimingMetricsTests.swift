import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import DLT645NIO
@testable import Station

/// Histograms and counts of issue 14 item 9: API requests by route template and status, store
/// commit rounds, meter round trips.
@Suite struct TimingMetricsTests {
    @Test func requestsCommitsAndRoundTripsAreCounted() async throws {
        let fixture = try await APIFixture.make()
        var trips = RoundTripHistogram()
        for ms in [3, 3, 40, 900] { trips.record(.milliseconds(ms)) }
        let metrics = StationMetrics(core: fixture.core, roundTrips: { [trips] in trips })
        let router = APIServer.buildRouter(core: fixture.core, tokens: TestToken.tokens, settings: fixture.settings, metrics: metrics)
        try await Application(router: router).test(.router) { client in
            for _ in 0..<3 { #expect(try await client.call(.get, "/v1/accounts/A1", token: TestToken.viewer).status == .ok) }
            #expect(try await client.call(.get, "/v1/accounts/NOPE", token: TestToken.viewer).status == .notFound)
            #expect(try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON()).status == .created)
            let answer = try await client.call(.get, "/metrics", token: TestToken.viewer)
            let scrape = ParsedScrape(answer.text)
            let route = "/v1/accounts/{id}"
            #expect(scrape.value("chargecontrol_api_requests_total", [("route", route), ("method", "GET"), ("status", "200")]) == 3,
                    "\(answer.text.split(separator: "\n").filter { $0.contains("api_requests") })")
            #expect(scrape.value("chargecontrol_api_requests_total", [("route", route), ("method", "GET"), ("status", "404")]) == 1)
            #expect(scrape.value("chargecontrol_api_request_duration_seconds_count", [("route", route), ("method", "GET")]) == 4)
            // The payment's commit (and the provisioning before it) went through commit rounds.
            #expect((scrape.value("chargecontrol_store_commit_seconds_count") ?? 0) >= 1)
            #expect(scrape.value("chargecontrol_store_commit_seconds_bucket", [("le", "+Inf")])
                    == scrape.value("chargecontrol_store_commit_seconds_count"))
            #expect(scrape.value("chargecontrol_meter_round_trip_seconds_count") == 4)
            // 3 ms ×2 and 40 ms are at or below the bucket bound near 59.6 ms (1 ms × 1.25¹⁹ ≈ 69 ms is
            // the 20th bucket); 900 ms is not.
            let buckets = answer.text.split(separator: "\n").filter { $0.hasPrefix("chargecontrol_meter_round_trip_seconds_bucket") }
            let counts = buckets.compactMap { line -> (Double, Double)? in
                guard let le = line.split(separator: "\"").dropFirst().first, let bound = Double(le),
                      let count = line.split(separator: " ").last.flatMap({ Double($0) }) else { return nil }
                return (bound, count)
            }
            #expect(counts.first { $0.0 >= 0.04 && $0.0 < 0.9 }?.1 == 3, "\(buckets)")
            #expect(counts.last?.1 == 4)
            #expect(abs((scrape.value("chargecontrol_meter_round_trip_seconds_sum") ?? 0) - 0.946) < 0.001)
            // The outbox backlog (low-balance notices written with the decisions; no webhook here).
            let outbox = try await fixture.store.outboxCounts()
            #expect(outbox.undelivered >= 1)
            #expect(scrape.value("chargecontrol_outbox_undelivered") == Double(outbox.undelivered))
            #expect(scrape.value("chargecontrol_outbox_failing") == 0)
            #expect(scrape.value("chargecontrol_webhook_delivered_total") == 0)
            #expect(scrape.value("chargecontrol_outbox_oldest_undelivered_age_seconds") != nil)
        }
        try? FileManager.default.removeItem(at: fixture.folder)
    }
}
