import Foundation
import Synchronization
@testable import Station

/// A station clock that moves only when a test advances it. Sleepers wake when the clock
/// reaches their deadline; `sleeperCount` tells a test that the code under test is waiting.
final class ManualStationClock: StationClock, Sendable {
    private struct Sleeper {
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    init(_ start: Date) { state = Mutex(State(now: start)) }

    var now: Date { state.withLock { $0.now } }
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }
    /// The earliest deadline anyone sleeps until.
    var nextWake: Date? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    func sleep(until deadline: Date) async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ready: Result<Void, any Error>? = state.withLock { s in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= s.now { return .success(()) }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: c)
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock to `date`, waking every sleeper whose deadline has come.
    func advance(to date: Date) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = max(s.now, date)
            let due = s.sleepers.filter { $0.value.deadline <= s.now }
            for id in due.keys { s.sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for c in woken { c.resume() }
    }

    func advance(by seconds: TimeInterval) { advance(to: now.addingTimeInterval(seconds)) }
}
