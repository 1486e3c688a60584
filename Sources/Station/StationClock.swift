import Foundation

/// The station's wall clock and a way to wait on it, injected so that tests of deferral
/// windows, retries and back-off run instantly and deterministically.
public protocol StationClock: Sendable {
    /// The current instant.
    var now: Date { get }
    /// Returns at `deadline` (at once if it has passed); throws when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The real clock.
public struct SystemStationClock: StationClock {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSince(Date())
        guard seconds > 0 else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}

extension Date {
    /// `self` moved by a Swift `Duration`.
    func adding(_ duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return addingTimeInterval(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
    }
}
