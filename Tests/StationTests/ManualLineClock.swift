import Foundation
import Testing
@testable import Station

/// The terminal lines' clock in the rigs: a `Clock` over a `ManualStationClock` of its own. A
/// request timeout, quiet period or reconnection back-off then fires only when a test moves line
/// time on, never because a loaded machine answered a live meter late (with a real 300 ms timeout
/// a slow reply became a failed read or a second attempt, and exact counts broke). Line time is
/// apart from station time: moving it moves no due time, retry or trip window.
struct ManualLineClock: Clock {
    struct Instant: InstantProtocol {
        var date: Date
        func advanced(by duration: Duration) -> Instant { Instant(date: date.adding(duration)) }
        func duration(to other: Instant) -> Duration { .seconds(other.date.timeIntervalSince(date)) }
        static func < (a: Instant, b: Instant) -> Bool { a.date < b.date }
    }

    let time: ManualStationClock

    var now: Instant { Instant(date: time.now) }
    var minimumResolution: Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await time.sleep(until: deadline.date)
    }
}

/// `eventually`, moving `lineTime` a second on before each new poll so that requests to a meter
/// that never answers time out, and once more at the end so the line's quiet period after the
/// last timeout is over. Only while every request on the lines is one that should time out: a
/// live meter's request in flight would time out too.
func eventually(_ what: String, movingLineTime lineTime: ManualStationClock, sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async throws -> Bool) async throws {
    try await eventually(what, sourceLocation: sourceLocation) {
        if try await condition() { return true }
        lineTime.advance(by: 1)
        return false
    }
    lineTime.advance(by: 1)
}
