import ChargeControl
import DLT645
import Foundation
import MeterSim
import Store
import Synchronization
import Tariffs
import Testing
@testable import Station

@Suite("Collector: scheduled reads through meter-sim into the evaluator")
struct CollectorTests {
    @Test func cycleReadsEveryMeterAcrossTwoTerminalsAndBills() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("collect-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        try await withCollectRig(meters: 4, terminals: 2, databasePath: path) { rig in
            // Cycle 1: every meter's first reading is its baseline.
            try await rig.cycle(reads: 4)
            var stats = rig.collector.stats
            #expect(stats.readsOK == 4 && stats.readsFailed == 0)
            #expect(stats.terminals["T1"]?.readsOK == 2 && stats.terminals["T2"]?.readsOK == 2)
            #expect(stats.ingest.baselines == 4)
            for n in 1...4 { #expect(try await rig.balance("A\(n)") == yuan("50.00")) }

            // Each meter uses a known amount: n kWh for meter n; 0.50 yuan/kWh.
            for i in 0..<4 { rig.setTotal(i, kWh: "\(1000 + i + 1).00") }
            try await rig.cycle(reads: 4)
            stats = rig.collector.stats
            #expect(stats.ingest.billed == 4)
            #expect(try await rig.balance("A1") == yuan("49.50"))
            #expect(try await rig.balance("A2") == yuan("49.00"))
            #expect(try await rig.balance("A3") == yuan("48.50"))
            #expect(try await rig.balance("A4") == yuan("48.00"))
            #expect(stats.terminals.values.allSatisfy { $0.isOnline && $0.consecutiveFailures == 0 })
            #expect(stats.lastCycle?.readsOK == 4)
            #expect(stats.heartbeat == rig.clock.now)
            #expect(stats.ingest.transactions >= 1 && stats.ingest.readingsCommitted == 8)
            #expect(try await rig.store.verifyBalances().isEmpty)
        }
        // The file holds what was committed.
        let reopened = try StationStore.open(path: path)
        #expect(try await reopened.account("A4")?.balance == yuan("48.00"))
    }

    @Test func meterWithoutBlockReadsIsReadItemByItemAndBilled() async throws {
        try await withCollectRig(meters: 2, terminals: 1, prepare: { fleet in
            _ = fleet.apply(MeterChange(blockReads: false), to: fleet.address(ofMeter: 1))
        }) { rig in
            try await rig.cycle(reads: 2)
            #expect(rig.collector.stats.singleItemMeters == 1)
            rig.setTotal(0, kWh: "1002.00")
            rig.setTotal(1, kWh: "1004.00")
            try await rig.cycle(reads: 2)
            let stats = rig.collector.stats
            #expect(stats.readsOK == 4 && stats.readsFailed == 0)
            #expect(stats.singleItemMeters == 1)
            #expect(try await rig.balance("A1") == yuan("49.00"))
            #expect(try await rig.balance("A2") == yuan("48.00"))
        }
    }

    @Test func creditRunsOutAcrossCyclesAlarmThenTrip() async throws {
        var ruleSet = try rules()
        ruleSet.limits = ValidationLimits(ratedPower: RatedPower(watts: 1_000_000), clockSkew: ClockSkewLimit(seconds: 300),
                                          registerSumTolerance: Energy(hundredths: 2))
        try await withCollectRig(meters: 1, terminals: 1, opening: "25.00", rules: ruleSet) { rig in
            try await rig.cycle(reads: 1)
            #expect(try await rig.store.commands(account: "A1").isEmpty)

            // The dispatcher (not running here) is woken when a commit queues commands, and the
            // notifier when it writes notifications (the alarm's).
            let rung = Mutex(false)
            let notified = Mutex(false)
            let (dispatcher, outbox) = (rig.core.dispatcherSignal, rig.core.outboxSignal)
            let (dispatcherSeen, outboxSeen) = (dispatcher.generation, outbox.generation)
            let listener = Task {
                await dispatcher.wait(since: dispatcherSeen)
                rung.withLock { $0 = !Task.isCancelled }
            }
            let outboxListener = Task {
                await outbox.wait(since: outboxSeen)
                notified.withLock { $0 = !Task.isCancelled }
            }
            defer { outboxListener.cancel() }
            defer { listener.cancel() }
            #expect(!rung.withLock { $0 })

            rig.setTotal(0, kWh: "1020.00")  // 10.00 yuan → 15.00: alarm
            try await rig.cycle(reads: 1)
            #expect(try await rig.balance("A1") == yuan("15.00"))
            #expect(try await rig.store.commands(account: "A1").map(\.kind) == [.alarm])
            try await eventually("dispatcher woken") { rung.withLock { $0 } }
            try await eventually("notifier woken") { notified.withLock { $0 } }

            rig.setTotal(0, kWh: "1060.00")  // 20.00 yuan → −5.00: trip
            try await rig.cycle(reads: 1)
            #expect(try await rig.balance("A1") == yuan("-5.00"))
            let commands = try await rig.store.commands(account: "A1")
            #expect(Set(commands.map(\.kind)) == [.alarm, .trip])
            #expect(commands.allSatisfy { $0.state == .pending })
            #expect(try await rig.store.account("A1")?.state == .tripped)
        }
    }

    @Test func abnormalReadingIsNotChargedAndOpensReview() async throws {
        try await withCollectRig(meters: 2, terminals: 1, opening: "1.00") { rig in
            try await rig.cycle(reads: 2)
            let before = try await rig.store.commands(account: "A1")
            rig.setTotal(0, kWh: "990.00")  // backwards by 10 kWh
            try await rig.cycle(reads: 2)
            let stats = rig.collector.stats
            #expect(stats.abnormalReadings == 1)
            #expect(try await rig.balance("A1") == yuan("1.00"))
            let review = try await rig.store.openReviewItems()
            #expect(review.map(\.accountID) == ["A1"])
            #expect(review.first?.kind == .reading)
            let after = try await rig.store.commands(account: "A1")
            #expect(!after.contains { $0.kind == .trip })
            #expect(after.count == before.count)
            #expect(try await rig.store.account("A1")?.state == .abnormal)
        }
    }

    @Test func meterClockFarOffMakesTheFirstReadingAbnormal() async throws {
        try await withCollectRig(meters: 2, terminals: 1) { rig in
            // The meters' clocks run an hour ahead of the station's.
            rig.simClock.advance(seconds: 3600)
            try await rig.cycle(reads: 2)
            #expect(rig.collector.stats.abnormalReadings == 2)
            let review = try await rig.store.openReviewItems()
            #expect(review.count == 2 && review.allSatisfy { $0.reason.contains("clock") })
        }
    }

    @Test func offlineMeterIsCountedAndOthersAreUnaffected() async throws {
        // 3 meters on 2 terminals: T1 has meters 1 and 2, T2 meter 3 alone.
        try await withCollectRig(meters: 3, terminals: 2) { rig in
            rig.change(2, MeterChange(offline: true))
            try await rig.cycle(reads: 3, silent: 1)
            let stats = rig.collector.stats
            #expect(stats.readsOK == 2 && stats.readsFailed == 1)
            #expect(stats.terminals["T1"]?.readsOK == 2)
            #expect(stats.terminals["T1"]?.isOnline == true)
            #expect(stats.terminals["T2"]?.readsFailed == 1)
            #expect(stats.terminals["T2"]?.consecutiveFailures == 1)
            #expect(stats.terminals["T2"]?.isOnline == false)
            #expect(stats.terminals["T2"]?.lastError?.isEmpty == false)
            #expect(stats.ingest.baselines == 2)
            #expect(try await rig.store.account("A3")?.lastReadingID == nil)

            // Back online: read at its next slot, not before.
            rig.change(2, MeterChange(offline: false))
            try await rig.cycle(reads: 3)
            let later = rig.collector.stats
            #expect(later.terminals["T2"]?.readsOK == 1 && later.terminals["T2"]?.isOnline == true)
            #expect(try await rig.store.account("A3")?.lastReadingID != nil)
        }
    }

    @Test func accountAddedLaterIsScheduledAfterAccountsChanged() async throws {
        try await withCollectRig(meters: 3, terminals: 1, accounts: 2) { rig in
            try await rig.cycle(reads: 2)
            _ = try await rig.core.upsertAccount(AccountProvisioning(
                accountID: "A3", meterAddress: rig.address(2).description, terminalID: "T1", tariff: "flat-test",
                region: "north", openingBalance: yuan("50.00")))
            rig.collector.accountsChanged()
            try await eventually("new account scheduled") { rig.collector.stats.meters == 3 }
            try await rig.cycle(reads: 3)
            #expect(try await rig.store.account("A3")?.lastReadingID != nil)
            #expect(rig.collector.stats.terminals["T1"]?.meters == 3)
        }
    }
}

@Suite("Ingest queue: group commit")
struct IngestQueueTests {
    @Test func readingsAreCommittedInOneTransactionPerBatch() async throws {
        let store = try StationStore.inMemory()
        let clock = ManualStationClock(collectStart)
        let core = StationCore(store: store, evaluator: Evaluator(rules: try rules()), clock: clock, logger: collectLogger())
        try await core.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 1))
        for n in 1...4 {
            _ = try await core.upsertAccount(AccountProvisioning(accountID: "A\(n)", meterAddress: String(format: "%012d", n),
                                                                 terminalID: "T1", tariff: "flat-test", region: "north",
                                                                 openingBalance: yuan("50.00")))
        }
        // A batch fills at 5 readings; the delay is long enough never to fire during the test, and
        // so is the evaluation budget (at 50 ms, a loaded machine split a batch in two).
        let ingest = IngestQueue(core: core, configuration: .init(maxBatch: 5, evaluationBudget: .seconds(3600), maxDelay: .seconds(3600)),
                                 logger: collectLogger())
        func item(_ n: Int, account: String? = nil) -> CollectedReading {
            CollectedReading(accountID: account ?? "A\(n)", meterAddress: String(format: "%012d", n), terminalID: "T1",
                             reading: reading("2026-11-23T09:15:00+08:00", total: "100.00"), meter: nil)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await ingest.run() }
            // Four good readings and one for an account that does not exist: one transaction,
            // the bad one rolled back alone.
            for n in 1...4 { await ingest.submit(item(n)) }
            #expect(ingest.stats.transactions == 0)
            await ingest.submit(item(9, account: "NOBODY"))
            try await eventually("one batch committed") { ingest.stats.transactions == 1 }
            var stats = ingest.stats
            #expect(stats.readingsCommitted == 4 && stats.evaluationErrors == 1 && stats.largestBatch == 5)
            for n in 1...4 { #expect(try await store.account("A\(n)")?.lastReadingID != nil) }

            // Three more wait for their batch to fill …
            for n in 1...3 { await ingest.submit(item(n)) }
            stats = ingest.stats
            #expect(stats.pending == 3 && stats.transactions == 1)
            // … and are committed when the queue stops.
            group.cancelAll()
            try await group.waitForAll()
        }
        let stats = ingest.stats
        #expect(stats.transactions == 2 && stats.pending == 0)
        #expect(stats.readingsCommitted == 7)
    }

    /// A reading that fails after it has written (its reading row and ledger entry are in, then
    /// the account's stored thresholds turn out inconsistent) is rolled back alone: the batch is evaluated in one
    /// savepoint first, then again reading by reading (issue 7).
    @Test func aReadingThatFailsAfterWritingLeavesNothingBehind() async throws {
        let store = try StationStore.inMemory()
        let core = StationCore(store: store, evaluator: Evaluator(rules: try rules()), clock: ManualStationClock(collectStart),
                               logger: collectLogger())
        try await core.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 1))
        for (n, id) in ["A1", "A2", "A3"].enumerated() {
            _ = try await core.upsertAccount(AccountProvisioning(accountID: id, meterAddress: String(format: "%012d", n + 1),
                                                                 terminalID: "T1", tariff: "flat-test", region: "north",
                                                                 openingBalance: yuan("50.00")))
        }
        // Neither the delay nor the evaluation budget ever ends a batch here (see above).
        let ingest = IngestQueue(core: core, configuration: .init(maxBatch: 3, evaluationBudget: .seconds(3600), maxDelay: .seconds(3600)),
                                 logger: collectLogger())
        func batch(_ at: String, total: String) async {
            for (n, id) in ["A1", "A2", "A3"].enumerated() {
                await ingest.submit(CollectedReading(accountID: id, meterAddress: String(format: "%012d", n + 1), terminalID: "T1",
                                                     reading: reading(at, total: total), meter: nil))
            }
        }
        let runner = Task { await ingest.run() }
        defer { runner.cancel() }
        await batch("2026-11-23T09:15:00+08:00", total: "100.00")
        try await eventually("baselines committed") { ingest.stats.transactions == 1 }
        // Thresholds the API would refuse (alarm below trip), written behind its back: the
        // decision after A2's charge entry throws.
        try await store.writer.write { db in
            try db.execute(sql: "UPDATE account SET alarm_micro_yuan = -5000000, trip_micro_yuan = 0 WHERE id = 'A2'")
        }
        await batch("2026-11-23T09:30:00+08:00", total: "101.00")
        try await eventually("billed batch committed") { ingest.stats.transactions == 2 }

        let stats = ingest.stats
        #expect(stats.readingsCommitted == 5 && stats.evaluationErrors == 1)
        for id in ["A1", "A3"] {
            #expect(try await store.account(id)?.balance ?? .zero < yuan("50.00"), "\(id) billed")
        }
        // A2: its baseline only; no charge; the balance as opened; the cache equals the replay.
        #expect(try await store.account("A2")?.balance == yuan("50.00"))
        #expect(try await store.ledger(account: "A2").map(\.kind) == [.opening])
        #expect(try await store.readingTally(account: "A2").readings == 1)
        #expect(try await store.verifyBalances().isEmpty)
    }
}
