import Foundation
import Synchronization

/// A generation counter tasks wait on: `bump()` wakes every waiter, and `wait(since:)` returns at
/// once when the generation has already moved, so a bump between a check and the wait is never
/// lost. Any number of waiters; cancelling a waiter makes it return.
final class CollectorSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    var generation: UInt64 { state.withLock { $0.generation } }

    func bump() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            defer { s.waiters.removeAll(keepingCapacity: true) }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns once the generation differs from `generation`, or on cancellation.
    func wait(since generation: UInt64) async {
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

    /// Returns on a bump after `generation`, when `sleep` returns, or on cancellation.
    func wait(since generation: UInt64, or sleep: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await sleep() }
            group.addTask { await self.wait(since: generation) }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
