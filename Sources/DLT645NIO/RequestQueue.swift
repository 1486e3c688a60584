import DLT645
import NIOCore

/// Identifies one `send` call for the lifetime of a line.
struct RequestID: Hashable, Sendable, CustomStringConvertible {
    let rawValue: UInt64
    var description: String { "#\(rawValue)" }
}

/// A request waiting for its turn on the bus.
struct QueuedRequest: Sendable {
    let id: RequestID
    let request: Request
    let timeout: Duration
    /// When the request gives up waiting for the line to come back; nil while the line is up
    /// (queueing behind other requests is not bounded by the timeout, see
    /// `TerminalLineConfiguration.requestTimeout`).
    var connectionDeadline: Duration?
}

/// The two priority lanes: every queued control request goes before every queued read; each lane
/// is first in, first out.
struct RequestQueue: Sendable {
    private var control = CircularBuffer<QueuedRequest>()
    private var read = CircularBuffer<QueuedRequest>()

    var count: Int { control.count + read.count }

    mutating func append(_ item: QueuedRequest, priority: LinePriority) {
        switch priority {
        case .control: control.append(item)
        case .read: read.append(item)
        }
    }

    /// The next request to write: control lane first.
    mutating func popNext() -> QueuedRequest? {
        if let item = control.popFirst() { return item }
        return read.popFirst()
    }

    /// Removes and returns the request `id` (cancellation).
    mutating func remove(_ id: RequestID) -> QueuedRequest? {
        if let i = control.firstIndex(where: { $0.id == id }) { return control.remove(at: i) }
        if let i = read.firstIndex(where: { $0.id == id }) { return read.remove(at: i) }
        return nil
    }

    /// Removes and returns every request, control lane first.
    mutating func removeAll() -> [QueuedRequest] {
        defer {
            control.removeAll()
            read.removeAll()
        }
        return Array(control) + Array(read)
    }

    /// Applies `body` to every queued request.
    mutating func updateEach(_ body: (inout QueuedRequest) -> Void) {
        for i in control.indices { body(&control[i]) }
        for i in read.indices { body(&read[i]) }
    }

    /// Removes and returns the requests for which `predicate` holds, keeping the others in order.
    mutating func removeAll(where predicate: (QueuedRequest) -> Bool) -> [QueuedRequest] {
        var removed: [QueuedRequest] = []
        func split(_ lane: inout CircularBuffer<QueuedRequest>) {
            var kept = CircularBuffer<QueuedRequest>(initialCapacity: lane.count)
            for item in lane {
                if predicate(item) { removed.append(item) } else { kept.append(item) }
            }
            lane = kept
        }
        split(&control)
        split(&read)
        return removed
    }

    /// The earliest connection deadline of any queued request.
    var earliestConnectionDeadline: Duration? {
        (control.lazy.compactMap(\.connectionDeadline) + read.lazy.compactMap(\.connectionDeadline)).min()
    }
}
