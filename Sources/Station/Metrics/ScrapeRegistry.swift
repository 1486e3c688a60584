import Prometheus

/// A registry filled for one scrape from snapshots (collector and dispatcher stats, store
/// figures), then emitted and dropped. Being fresh each time, it never shows a terminal or a
/// label combination that has gone, and cumulative counts from the snapshots can be written as
/// counters without resetting shared state between concurrent scrapes.
struct ScrapeRegistry {
    let registry = PrometheusCollectorRegistry()

    /// A gauge set to `value`.
    func gauge(_ metric: StationMetric, _ value: Double, labels: [(String, String)] = []) {
        registry.makeGauge(descriptor: metric.descriptor, labels: labels).set(to: value)
    }

    /// A gauge set to a count.
    func gauge(_ metric: StationMetric, _ count: Int, labels: [(String, String)] = []) {
        gauge(metric, Double(count), labels: labels)
    }

    /// A counter holding `total`, a cumulative count taken from a snapshot (negative ones read as 0).
    func counter(_ metric: StationMetric, _ total: Int, labels: [(String, String)] = []) {
        registry.makeCounter(descriptor: metric.descriptor, labels: labels).increment(by: Int64(max(0, total)))
    }

    /// Appends the text format of everything registered.
    func emit(into buffer: inout [UInt8]) {
        registry.emit(into: &buffer)
    }
}

extension Duration {
    /// The duration in seconds, for gauges.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
