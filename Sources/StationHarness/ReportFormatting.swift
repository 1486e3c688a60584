import Foundation

// Small helpers for the harnesses' reports and progress lines.

/// A progress line on stderr, unbuffered (stdout is block-buffered when `make crash` pipes it
/// through `tee`, so progress would show only at the end).
public func progressLine(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `[k: v]` as `k v, k v` in key order.
func sorted(_ counts: [String: Int]) -> String {
    counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
}

/// Seconds elapsed since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Bytes as `12.3 MiB`.
func mib(_ bytes: Int) -> String {
    String(format: "%.1f MiB", Double(bytes) / 1_048_576)
}
