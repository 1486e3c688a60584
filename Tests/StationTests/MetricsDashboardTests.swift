import Foundation
import Testing
@testable import Station

/// `deploy/grafana-dashboard.json` is a Grafana dashboard whose queries use only metrics the
/// station exposes, and that shows the figures issue 5 asks for.
@Suite struct MetricsDashboardTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/grafana-dashboard.json")

    /// Every `expr` and variable query in the dashboard, wherever it is nested.
    static func queries(in value: Any) -> [String] {
        switch value {
        case let object as [String: Any]:
            var found: [String] = []
            for (key, child) in object {
                if (key == "expr" || key == "definition"), let text = child as? String { found.append(text) }
                found += queries(in: child)
            }
            return found
        case let array as [Any]:
            return array.flatMap { queries(in: $0) }
        default:
            return []
        }
    }

    /// The `chargecontrol_…` names a PromQL expression uses.
    static func metricNames(in expr: String) -> Set<String> {
        var names = Set<String>()
        var rest = Substring(expr)
        while let start = rest.range(of: "chargecontrol_") {
            let tail = rest[start.lowerBound...]
            let name = tail.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            names.insert(String(name))
            rest = tail.dropFirst(name.count)
        }
        return names
    }

    @Test func dashboardUsesExposedMetrics() async throws {
        let data = try Data(contentsOf: Self.file)
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((dashboard["schemaVersion"] as? Int ?? 0) >= 36)
        #expect(dashboard["uid"] as? String == "chargecontrol-station")

        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        #expect(variables.contains { $0["type"] as? String == "datasource" && $0["query"] as? String == "prometheus" })

        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        for panel in panels where panel["type"] as? String != "row" {
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "panel \(panel["title"] ?? "?") has no queries")
            let source = panel["datasource"] as? [String: Any]
            #expect(source?["uid"] as? String == "${datasource}", "panel \(panel["title"] ?? "?")")
        }

        let queries = Self.queries(in: dashboard)
        let used = queries.reduce(into: Set<String>()) { $0.formUnion(Self.metricNames(in: $1)) }

        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let exposed = ParsedScrape(try await MetricsFixtureStats.metrics(fixture).scrape()).sampleNames
        for name in used.sorted() {
            #expect(exposed.contains(name), "the dashboard queries \(name), which /metrics does not expose")
        }

        let wanted = [
            "chargecontrol_payment_allow_close_latency_seconds_bucket", "chargecontrol_reads_ok_total",
            "chargecontrol_reads_failed_total", "chargecontrol_command_queue_depth",
            "chargecontrol_command_oldest_pending_age_seconds", "chargecontrol_commands", "chargecontrol_review_items_open",
            "chargecontrol_accounts_below_alarm", "chargecontrol_accounts_below_trip", "chargecontrol_terminals_online",
            "chargecontrol_collection_cycle_duration_seconds",
        ]
        for name in wanted {
            #expect(used.contains(name), "the dashboard does not show \(name)")
        }
        let latency = queries.filter { $0.contains("chargecontrol_payment_allow_close_latency_seconds_bucket") }
        #expect(latency.contains { $0.contains("histogram_quantile(0.5,") })
        #expect(latency.contains { $0.contains("histogram_quantile(0.99,") })
    }
}
