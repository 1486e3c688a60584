/// A histogram kept elsewhere in fixed buckets (a line's round trips, the store's commit
/// rounds), written in the Prometheus text format at scrape time: the snapshot's cumulative
/// bucket counts, its sum and count.
enum HistogramText {
    static func emit(_ metric: StationMetric, buckets: [(upperBound: Double, cumulative: Int)], count: Int, sum: Double,
                     into buffer: inout [UInt8]) {
        var text = "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) histogram\n"
        for bucket in buckets where bucket.upperBound.isFinite {
            text += "\(metric.name)_bucket{le=\"\(bucket.upperBound)\"} \(bucket.cumulative)\n"
        }
        text += "\(metric.name)_bucket{le=\"+Inf\"} \(count)\n\(metric.name)_sum \(sum)\n\(metric.name)_count \(count)\n"
        buffer.append(contentsOf: text.utf8)
    }
}
