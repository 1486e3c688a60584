import Synchronization

/// The project's one way for a loop to sleep until a deadline or until something happens
/// (issue 12: four copies of that, and two wake-up types in two targets, before).
///
/// A generation counter: `bump()` wakes every waiter; `wait(since:)` returns at once when the
/// generation has moved since the caller read it, so a bump between a loop's look at its work and
/// its wait is never lost. A loop reads `generation` before it looks, then waits since that.
/// Any number of waiters; cancelling a waiter makes it return.
///
/// AsyncStream would do for one waiter, except that cancelling a task iterating one terminates
/// the stream, and the loops cancel their waits all the time.
public final class WakeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// How many bumps there have been (wrapping).
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter, and every later `wait(since:)` of an older generation.
    public func bump() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            defer { s.waiters.removeAll(keepingCapacity: true) }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns once the generation differs from `generation`, or on cancellation.
    public func wait(since generation: UInt64) async {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.generation != generation || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { $0.waiters.removeValue(forKey: id) }
            w?.resume()
        }
    }

    /// Returns on a bump after `generation`, when `sleep` returns (a sleep until the loop's next
    /// deadline on its own clock), or on cancellation.
    public func wait(since generation: UInt64, orAfter sleep: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await sleep() }
            group.addTask { await self.wait(since: generation) }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
