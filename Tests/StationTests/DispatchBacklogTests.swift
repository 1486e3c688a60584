import ChargeControl
import Foundation
import Store
import Tariffs
import Testing
@testable import Station
@testable import Store

/// The dispatcher's queue in memory (`DispatchBacklog`) against the table it is rebuilt from:
/// it must choose exactly what `StationStore.dispatchable(at:limit:)` chooses, in its order.
@Suite("Dispatcher: the queue in memory")
struct DispatchBacklogTests {
    static let t0 = instant("2026-11-23T10:00:00+08:00")

    /// A store with accounts A1…A`meters` and a mix of commands queued by the real rules
    /// (supersession included), some claimed, some of those retried later, some deferred.
    func seeded(meters: Int, commands: Int, seed: UInt64) async throws -> StationStore {
        let t0 = Self.t0
        let store = try StationStore.inMemory()
        try await store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t0)
        for m in 1...meters {
            _ = try await store.upsertAccount(id: "A\(m)", meterAddress: String(format: "%012d", m), terminalID: "T1",
                                              tariff: "flat-test", region: "north", alarmThreshold: nil, tripThreshold: nil,
                                              isProtected: false, openingBalance: .zero, at: t0)
        }
        var random = seed
        func next(_ n: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(n))
        }
        let kinds: [CommandKind] = [.alarm, .trip, .allowClose, .directClose, .keepPower, .alarmRelease]
        for _ in 0..<commands {
            let m = 1 + next(meters)
            let notBefore = t0.addingTimeInterval(Double(next(3)) * 1800)
            let planned = PlannedCommand(kind: kinds[next(kinds.count)], reason: .balanceAtOrBelowTrip, detail: "seeded",
                                         balance: .zero, notBefore: notBefore, isDeferred: notBefore != t0)
            let id = try await store.writer.write { db in
                try CommandQueue.enqueue(planned, account: "A\(m)", meter: String(format: "%012d", m),
                                         deadline: t0.addingTimeInterval(86_400), at: t0, in: db)
            }
            switch next(4) {
            case 0:  // claimed, and failed: due again later (it holds back its meter's younger commands)
                if try await store.markInFlight(id, at: t0) {
                    try await store.retryLater(id, error: "no reply", next: t0.addingTimeInterval(Double(1 + next(3)) * 1200), at: t0)
                }
            case 1 where next(3) == 0:  // left in flight (holds its meter)
                _ = try await store.markInFlight(id, at: t0)
            default:
                break
            }
        }
        return store
    }

    func backlog(of store: StationStore, at now: Date) async throws -> DispatchBacklog {
        var backlog = DispatchBacklog()
        backlog.beginRebuild()
        backlog.rebuild(try await store.pendingCommandScan(), at: now)
        return backlog
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func theQueueRebuiltAtARestartChoosesWhatTheTableChooses(seed: UInt64) async throws {
        let store = try await seeded(meters: 12, commands: 80, seed: seed)
        var compared = 0
        for minutes in [0, 20, 30, 40, 60, 61, 90, 120] {
            let now = Self.t0.addingTimeInterval(Double(minutes) * 60)
            var memory = try await backlog(of: store, at: Self.t0)
            let fromMemory = memory.take(at: now, limit: 1000).map(\.id)
            let fromTable = try await store.dispatchable(at: now, limit: 1000).commands.map(\.id)
            #expect(fromMemory == fromTable, "at +\(minutes) min")
            compared += fromTable.count
        }
        #expect(compared > 0)
    }

    @Test func anEntryStaysOutWhileItsMeterIsBusyAndARetryHoldsBackTheYoungerOnes() async throws {
        let t0 = Self.t0
        func key(_ id: Int64, urgent: Bool = false, notBefore: Date = t0, due: Date = t0) -> PendingCommandKey {
            PendingCommandKey(id: id, meterAddress: "M", isUrgent: urgent, notBefore: notBefore, nextAttemptAt: due)
        }
        var backlog = DispatchBacklog()
        backlog.add([key(1), key(2), key(3, notBefore: t0.addingTimeInterval(600))], lastID: 3, at: t0)
        #expect(backlog.take(at: t0, limit: 10).map(\.id) == [1])
        #expect(backlog.take(at: t0, limit: 10).isEmpty)  // the meter is busy
        // 1 failed: due again in 60 s; until then it holds back 2.
        backlog.requeue(key(1, due: t0.addingTimeInterval(60)), at: t0)
        backlog.release("M")
        #expect(backlog.take(at: t0, limit: 10).isEmpty)
        #expect(backlog.nextWake(after: t0) == t0.addingTimeInterval(60))
        #expect(backlog.take(at: t0.addingTimeInterval(60), limit: 10).map(\.id) == [1])
        backlog.release("M")
        // A reconnection queued now goes before 2.
        backlog.add([key(4, urgent: true)], lastID: 4, at: t0.addingTimeInterval(60))
        #expect(backlog.take(at: t0.addingTimeInterval(61), limit: 10).map(\.id) == [4])
        backlog.release("M")
        #expect(backlog.take(at: t0.addingTimeInterval(61), limit: 10).map(\.id) == [2])
        backlog.release("M")
        // 3 was deferred to +600 s: it holds back nothing, and goes when its time comes.
        #expect(backlog.take(at: t0.addingTimeInterval(599), limit: 10).isEmpty)
        #expect(backlog.nextWake(after: t0.addingTimeInterval(599)) == t0.addingTimeInterval(600))
        #expect(backlog.take(at: t0.addingTimeInterval(600), limit: 10).map(\.id) == [3])
        #expect(backlog.count == 0 && backlog.busyCount == 1)
    }
}
