import Synchronization

/// Wakes one waiting task. A ring with nobody waiting is remembered (once), so a ring that
/// happens between a waiter's check and its wait is never lost.
///
/// AsyncStream would do, except that cancelling a task iterating one terminates the stream; the
/// line's loops cancel their waits all the time.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or the next one to wait.
    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let w = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Returns after a ring (possibly one that came before the call), or on cancellation.
    /// One waiter at a time.
    public func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
