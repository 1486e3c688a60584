import Foundation
import Store

/// The dispatcher's queue in memory: the pending commands' keys per meter, rebuilt from the
/// table at start (`rebuild`), then kept up to date by the dispatcher (new commands by id,
/// its own retries) instead of a walk over the table after every dispatch (7 % of the daemon
/// in the p3 profiles). It only chooses: the store's compare-and-set on the claim stays the
/// guard, so a stale entry (a command superseded meanwhile) loses its claim and is gone.
///
/// The order is `StationStore.dispatchable(at:limit:)`'s: per meter, its pending commands in
/// order (reconnections first, then by id); the first whose `notBefore` has come is the meter's
/// head, and goes once it is due and the meter has nothing in flight. A head waiting for its
/// retry holds back the meter's younger commands; a command deferred to a later window holds
/// back nothing. Heads go reconnections first, then by due instant, then by id.
///
/// Heads wait in two heaps (reconnections, the rest) by due instant; an entry there that is no
/// longer its meter's head is dropped when it comes up. Deferred commands wait in a heap by
/// `notBefore`, their meter looked at again when it comes.
struct DispatchBacklog {
    private struct Candidate: Comparable {
        let due: Date
        let id: Int64
        let meter: String

        static func < (a: Candidate, b: Candidate) -> Bool { (a.due, a.id) < (b.due, b.id) }
    }

    private struct Deferred: Comparable {
        let at: Date
        let meter: String

        static func < (a: Deferred, b: Deferred) -> Bool { a.at < b.at }
    }

    /// Each meter's pending commands, in its queue order.
    private var meters: [String: [PendingCommandKey]] = [:]
    /// Each meter's head as its candidate was pushed.
    private var heads: [String: PendingCommandKey] = [:]
    /// Meters with a command being dispatched by this process.
    private var busy: Set<String> = []
    /// Meters with a command in flight elsewhere at the last rebuild.
    private var blocked: Set<String> = []
    /// Meters whose head must be worked out again before the next take.
    private var dirty: Set<String> = []
    /// Reconnections' heads, then the others'.
    private var candidates = [MinHeap<Candidate>(), MinHeap<Candidate>()]
    private var deferred = MinHeap<Deferred>()
    /// Between `beginRebuild` and `rebuild`: what the dispatcher did meanwhile, which the
    /// table read may predate (a meter it saw in flight, a retry it did not see yet).
    private var rebuilding: (released: Set<String>, requeued: [PendingCommandKey])?
    /// The highest command id read so far: newer commands are read by `id > lastID`.
    private(set) var lastID: Int64 = 0

    /// Meters being dispatched now.
    var busyCount: Int { busy.count }

    /// Called before the table is read for `rebuild`.
    mutating func beginRebuild() {
        rebuilding = ([], [])
    }

    /// Starts over from the table, read after `beginRebuild` (the meters being dispatched stay
    /// busy; what the dispatcher released or requeued since is applied again).
    mutating func rebuild(_ scan: PendingCommandScan, at now: Date) {
        let meanwhile = rebuilding ?? ([], [])
        rebuilding = nil
        meters = [:]
        heads = [:]
        dirty = []
        candidates = [MinHeap(), MinHeap()]
        deferred.removeAll()
        blocked = scan.inFlightMeters.subtracting(busy).subtracting(meanwhile.released)
        lastID = scan.lastID
        for key in scan.pending { insert(key, at: now) }
        for key in meanwhile.requeued { insert(key, at: now) }
    }

    /// Commands read by `id > lastID`, and the highest id that read saw.
    mutating func add(_ keys: [PendingCommandKey], lastID: Int64, at now: Date) {
        for key in keys { insert(key, at: now) }
        self.lastID = max(self.lastID, lastID)
    }

    /// A command this dispatcher moved back to pending itself (a retry, a put-back).
    mutating func requeue(_ key: PendingCommandKey, at now: Date) {
        rebuilding?.requeued.append(key)
        insert(key, at: now)
    }

    /// The meter's dispatch has finished: its next command may go.
    mutating func release(_ meter: String) {
        busy.remove(meter)
        rebuilding?.released.insert(meter)
        dirty.insert(meter)
    }

    /// The meter's dispatch has finished but its command stays in flight (its outcome could not
    /// be written): nothing more goes to the meter until a rebuild finds it free.
    mutating func block(_ meter: String) {
        busy.remove(meter)
        rebuilding?.released.insert(meter)
        blocked.insert(meter)
        dirty.insert(meter)
    }

    /// Up to `limit` heads due at `now`, in sending order, each taken out of the queue and its
    /// meter marked busy.
    mutating func take(at now: Date, limit: Int) -> [PendingCommandKey] {
        while let next = deferred.min, next.at <= now {
            deferred.popMin()
            dirty.insert(next.meter)
        }
        for meter in dirty { refresh(meter, at: now) }
        dirty.removeAll(keepingCapacity: true)
        var out: [PendingCommandKey] = []
        for rank in candidates.indices {
            while out.count < limit, let candidate = candidates[rank].min, candidate.due <= now {
                candidates[rank].popMin()
                guard let head = heads[candidate.meter], head.id == candidate.id, head.nextAttemptAt == candidate.due else {
                    continue  // no longer the meter's head
                }
                heads[candidate.meter] = nil
                remove(head)
                busy.insert(candidate.meter)
                out.append(head)
            }
        }
        return out
    }

    /// The earliest instant after `now` at which a head becomes due or a deferred command's
    /// time comes (may be early: an entry that is no longer a head still counts).
    func nextWake(after now: Date) -> Date? {
        (candidates.compactMap { $0.min?.due } + [deferred.min?.at].compactMap { $0 }).filter { $0 > now }.min()
    }

    /// Keys queued, for tests and metrics.
    var count: Int { meters.values.reduce(0) { $0 + $1.count } }

    private mutating func insert(_ key: PendingCommandKey, at now: Date) {
        var queue = meters[key.meterAddress, default: []]
        queue.removeAll { $0.id == key.id }
        queue.insert(key, at: queue.firstIndex { Self.precedes(key, $0) } ?? queue.endIndex)
        meters[key.meterAddress] = queue
        dirty.insert(key.meterAddress)
        if key.notBefore > now { deferred.insert(Deferred(at: key.notBefore, meter: key.meterAddress)) }
    }

    private mutating func remove(_ key: PendingCommandKey) {
        guard var queue = meters[key.meterAddress] else { return }
        queue.removeAll { $0.id == key.id }
        meters[key.meterAddress] = queue.isEmpty ? nil : queue
    }

    /// Works out the meter's head; a new head becomes a candidate.
    private mutating func refresh(_ meter: String, at now: Date) {
        guard !busy.contains(meter), !blocked.contains(meter),
              let head = meters[meter]?.first(where: { $0.notBefore <= now })
        else {
            heads[meter] = nil
            return
        }
        guard heads[meter] != head else { return }  // its candidate is in the heap
        heads[meter] = head
        candidates[head.isUrgent ? 0 : 1].insert(Candidate(due: head.nextAttemptAt, id: head.id, meter: meter))
    }

    /// The meter's queue order: reconnections first, then by id.
    private static func precedes(_ a: PendingCommandKey, _ b: PendingCommandKey) -> Bool {
        (a.isUrgent ? 0 : 1, a.id) < (b.isUrgent ? 0 : 1, b.id)
    }
}
