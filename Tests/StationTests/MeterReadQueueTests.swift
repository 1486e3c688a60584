import Foundation
import Store
import Synchronization
import Testing
@testable import Station

/// A terminal's read queue (issue 12): its callbacks run outside its lock, and a queue whose
/// terminal is gone ends its workers instead of keeping them waiting forever.
@Suite struct MeterReadQueueTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    func assign(_ queue: MeterReadQueue, _ accounts: [String], due: Date, onScheduled: (Date) -> Void = { _ in }) {
        var token = 0
        queue.assign(accounts.enumerated().map { (n, id) in
            (MeterAssignment(accountID: id, meterAddress: String(format: "%012d", n + 1), terminalID: "T1"), ReadingStrategy())
        }, at: start, nextToken: {
            token += 1
            return token
        }, firstDue: { _, _ in due }, firstMemory: { _, _ in MeterReadMemory() }, onScheduled: onScheduled)
    }

    @Test func callbacksMayTakeTheQueueAgain() {
        let queue = MeterReadQueue(terminalID: "T1")
        // A callback that reads the queue would deadlock (Mutex is not reentrant) if the queue
        // still held its lock while calling it.
        var seen: [Int] = []
        assign(queue, ["A1", "A2"], due: start) { _ in seen.append(queue.meterCount) }
        #expect(seen == [0, 0], "called before the new assignment is made, outside the lock")
        #expect(queue.meterCount == 2)
    }

    @Test func aStoppedQueueEndsItsWorkers() async throws {
        let queue = MeterReadQueue(terminalID: "T1")
        let clock = ManualStationClock(start)
        assign(queue, ["A1"], due: start.addingTimeInterval(3600))
        let ended = Mutex(false)
        let worker = Task {
            let next = await queue.next(clock: clock, onDropped: { _ in })
            ended.withLock { $0 = true }
            return next
        }
        try await eventually("the worker waits for its meter's slot") { clock.sleeperCount == 1 }
        queue.stop()
        #expect(await worker.value == nil, "no meter handed out after the stop")
        #expect(ended.withLock { $0 })
        #expect(queue.meterCount == 0)
        #expect(await queue.next(clock: clock, onDropped: { _ in }) == nil, "a later worker ends at once")
    }
}
