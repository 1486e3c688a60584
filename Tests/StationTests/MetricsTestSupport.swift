import ChargeControl
import Foundation
import Store
import Testing
@testable import Station

/// A scrape parsed into its samples: `name{labels}` → value, labels as written by the registry.
struct ParsedScrape {
    let text: String
    let samples: [String: Double]

    init(_ text: String) {
        self.text = text
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("unparsable sample line: \(line)")
                continue
            }
            samples[String(line[..<space])] = value
        }
        self.samples = samples
    }

    /// The value of `name` with exactly `labels` (in this order), or nil.
    func value(_ name: String, _ labels: [(String, String)] = []) -> Double? {
        let rendered = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
        return samples[name + rendered]
    }

    /// The metric names of every sample (`_bucket`, `_sum`, `_count` kept as written).
    var sampleNames: Set<String> {
        Set(samples.keys.map { key in String(key.prefix { $0 != "{" }) })
    }
}

/// Collector and dispatcher snapshots with known figures: T1 read 7 times ok and 2 failed,
/// 3 abnormal readings, a last cycle of 12.5 s; 4 commands sent, 3 acknowledged.
enum MetricsFixtureStats {
    static var collector: CollectorStats {
        var stats = CollectorStats()
        var t1 = CollectorStats.TerminalStats()
        t1.readsOK = 7
        t1.readsFailed = 2
        t1.isOnline = true
        stats.terminals["T1"] = t1
        stats.abnormalReadings = 3
        stats.lastCycle = CollectorStats.CycleSummary(index: 1, start: instant("2026-11-23T09:45:00+08:00"), readsOK: 7,
                                                      readsFailed: 2, duration: .milliseconds(12_500), maxLag: .milliseconds(800))
        stats.ingest.pending = 4
        return stats
    }

    static var dispatcher: DispatcherStats {
        var stats = DispatcherStats()
        stats.sent = 4
        stats.acknowledged = 3
        stats.inFlight = 1
        return stats
    }

    /// 3 API connections open of a cap of 190; 5 evicted, 2 cut by the idle timeout.
    static var apiConnections: APIConnectionStats {
        APIConnectionStats(open: 3, cap: 190, refused: [.evicted: 5, .idleTimeout: 2])
    }

    /// Retention has deleted 1200 readings and 7 outbox rows.
    static var retention: RetentionStats {
        RetentionStats(prunedReadings: 1200, prunedOutbox: 7, lastRun: nil)
    }

    /// Metrics over `fixture` with every source given (terminal health from the fixture's settings).
    /// Four unclassed meters, three read within their interval; two business ones, both read.
    static var coverage: CollectionCoverage {
        var coverage = CollectionCoverage()
        coverage.classes[CollectionCoverage.defaultClass] = .init(meters: 4, read: 3, interval: .seconds(900))
        coverage.classes["business"] = .init(meters: 2, read: 2, interval: .seconds(300))
        coverage.staleCount = 1
        coverage.stale = ["000000000004"]
        return coverage
    }

    static func metrics(_ fixture: APIFixture) -> StationMetrics {
        StationMetrics(core: fixture.core, collector: { collector }, dispatcher: { dispatcher },
                       terminalsOnline: fixture.settings.terminalsOnline, apiConnections: { apiConnections },
                       retention: { retention }, coverage: { coverage })
    }
}
