import DLT645
import Foundation
import Store
import Synchronization
import Wakeup

/// One meter in a terminal's queue.
struct ScheduledMeter: Sendable {
    let accountID: String
    let meterText: String
    let meter: MeterAddress
    /// Identifies this assignment of the account: a re-provisioned account gets a new token and
    /// entries holding the old one are dropped when they come up.
    let token: Int
    let strategy: ReadingStrategy
    var due: Date
    var memory: MeterReadMemory
}

/// A terminal's meters in due order (a binary min-heap on the due instant). Several workers take
/// from it, so a terminal has at most that many reads outstanding while terminals run in
/// parallel; the line itself keeps one request on the wire.
///
/// Removed or re-provisioned accounts are dropped lazily: the heap may hold stale entries, which
/// are discarded when they reach the top.
final class MeterReadQueue: Sendable {
    let terminalID: String

    private struct Assigned {
        var meter: String
        var strategy: ReadingStrategy
        var token: Int
        var customerClass: String?
        /// When the collector began scheduling the meter (coverage counts a meter never read from here).
        var since: Date
        /// The meter's last good read.
        var lastRead: Date?
    }

    private struct State {
        var heap: [ScheduledMeter] = []
        var assigned: [String: Assigned] = [:]
        var stopped = false
    }

    private let state = Mutex(State())
    private let signal = WakeSignal()

    init(terminalID: String) { self.terminalID = terminalID }

    /// Accounts read through this terminal.
    var meterCount: Int { state.withLock { $0.assigned.count } }

    /// Makes `assignments` this terminal's accounts. New or changed ones are scheduled with
    /// `firstDue` and start from `firstMemory`; `onScheduled` sees every entry added.
    ///
    /// The callbacks (the collector's, which take its lock) run outside this queue's lock: no
    /// lock is ever taken while holding the other, so there is no order to keep between them.
    /// Only the collector's one loop calls this, so nothing assigns between the two steps.
    func assign(_ assignments: [(MeterAssignment, ReadingStrategy)], at now: Date, nextToken: () -> Int,
                firstDue: (String, ReadingStrategy) -> Date, firstMemory: (MeterAssignment, ReadingStrategy) -> MeterReadMemory,
                onScheduled: (Date) -> Void) {
        // 1. Under the lock: which accounts keep their assignment.
        let current = state.withLock { $0.assigned }
        var next: [String: Assigned] = [:]
        next.reserveCapacity(assignments.count)
        var added: [ScheduledMeter] = []
        // 2. Outside it: tokens, first slots and memories of the new or changed ones.
        for (a, strategy) in assignments {
            guard let address = try? MeterAddress(a.meterAddress) else { continue }
            let old = current[a.accountID].flatMap { $0.meter == a.meterAddress ? $0 : nil }
            if var old, old.strategy == strategy {
                old.customerClass = a.customerClass
                next[a.accountID] = old
                continue
            }
            let token = nextToken()
            // The same meter under a new strategy keeps its last read.
            next[a.accountID] = Assigned(meter: a.meterAddress, strategy: strategy, token: token, customerClass: a.customerClass,
                                         since: old?.since ?? now, lastRead: old?.lastRead)
            let due = firstDue(a.meterAddress, strategy)
            onScheduled(due)
            added.append(ScheduledMeter(accountID: a.accountID, meterText: a.meterAddress, meter: address, token: token,
                                        strategy: strategy, due: due, memory: firstMemory(a, strategy)))
        }
        // 3. Under the lock again: the new assignment and its entries.
        let bump = state.withLock { s -> Bool in
            s.assigned = next
            var earliest = false
            for entry in added where Self.push(entry, into: &s.heap) { earliest = true }
            return earliest
        }
        if bump { signal.bump() }
    }

    /// The terminal is gone: its workers' `next` returns nil (they end), and nothing is read
    /// through it any more.
    func stop() {
        state.withLock { s in
            s.stopped = true
            s.assigned = [:]
            s.heap = []
        }
        signal.bump()
    }

    /// Whether `entry` is still this terminal's current assignment of its account.
    func isCurrent(_ entry: ScheduledMeter) -> Bool {
        state.withLock { $0.assigned[entry.accountID]?.token == entry.token }
    }

    /// The meter of `entry` was read at `end` (a good read), if it is still the account's.
    func markRead(_ entry: ScheduledMeter, at end: Date) {
        state.withLock { s in
            guard s.assigned[entry.accountID]?.token == entry.token else { return }
            s.assigned[entry.accountID]?.lastRead = end
        }
    }

    /// Adds this terminal's meters to `tally`.
    func addCoverage(to tally: inout CoverageTally) {
        state.withLock { s in
            for a in s.assigned.values {
                tally.add(meter: a.meter, customerClass: a.customerClass, strategy: a.strategy, since: a.since, lastRead: a.lastRead)
            }
        }
    }

    /// Puts a read meter back with its new due instant, unless its account has gone or changed.
    @discardableResult
    func reschedule(_ entry: ScheduledMeter) -> Bool {
        let (kept, bump) = state.withLock { s -> (Bool, Bool) in
            guard s.assigned[entry.accountID]?.token == entry.token else { return (false, false) }
            return (true, Self.push(entry, into: &s.heap))
        }
        if bump { signal.bump() }
        return kept
    }

    /// The next meter due, taken out of the queue once its instant has come; waits until then
    /// (or until an earlier one is added). Stale entries are passed to `onDropped`, outside the
    /// lock. Nil when the task is cancelled or the queue stopped (its terminal is gone).
    func next(clock: any StationClock, onDropped: (ScheduledMeter) -> Void) async -> ScheduledMeter? {
        while !Task.isCancelled {
            let generation = signal.generation
            let now = clock.now
            var dropped: [ScheduledMeter] = []
            let (ready, wakeAt, stopped) = state.withLock { s -> (ScheduledMeter?, Date?, Bool) in
                if s.stopped { return (nil, nil, true) }
                while let top = s.heap.first {
                    if s.assigned[top.accountID]?.token != top.token {
                        dropped.append(Self.pop(&s.heap))
                        continue
                    }
                    return top.due <= now ? (Self.pop(&s.heap), nil, false) : (nil, top.due, false)
                }
                return (nil, nil, false)
            }
            for d in dropped { onDropped(d) }
            if stopped { return nil }
            if let ready { return ready }
            if let wakeAt {
                await signal.wait(since: generation) { try? await clock.sleep(until: wakeAt) }
            } else {
                await signal.wait(since: generation)
            }
        }
        return nil
    }

    // MARK: heap

    private static func before(_ a: ScheduledMeter, _ b: ScheduledMeter) -> Bool {
        a.due < b.due || (a.due == b.due && a.token < b.token)
    }

    /// Returns whether the entry became the earliest.
    private static func push(_ entry: ScheduledMeter, into heap: inout [ScheduledMeter]) -> Bool {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
        return i == 0
    }

    private static func pop(_ heap: inout [ScheduledMeter]) -> ScheduledMeter {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, before(heap[l], heap[m]) { m = l }
                if r < heap.count, before(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
