import ChargeControl
import DLT645
import Foundation
import MeterSim
import Store
import Testing
@testable import Station

/// The dispatcher against a real meter-sim on 127.0.0.1 and a real SQLite store, with the
/// station clock stepped by hand.
@Suite("Dispatcher: queue to meter over 1CH")
struct DispatcherTests {
    @Test func tripOpensTheRelayAndAllowCloseArmsIt() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "-1.00")  // alarm, then trip
            #expect(try await rig.commands().map(\.kind) == [.alarm, .trip])
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { dispatcher in
                try await eventually("alarm and trip acknowledged") {
                    try await rig.commands().allSatisfy { $0.state == .acknowledged }
                }
                let sim = try #require(rig.simMeter)
                #expect(sim.relay == "open" && sim.alarm)
                let trip = try #require(try await rig.command(.trip))
                #expect(trip.attempts == 1)
                let account = try #require(try await rig.store.account("A1"))
                #expect(account.meter == MeterState(relay: .open, alarm: true))
                #expect(account.state == .tripped)

                // The customer pays: allow-close (and alarm release) go out; the relay is armed.
                try await rig.pay("50.00", order: "P1")
                try await eventually("allow-close and alarm release acknowledged") {
                    let kinds = try await rig.commands().filter { $0.state == .acknowledged }.map(\.kind)
                    return kinds.contains(.allowClose) && kinds.contains(.alarmRelease)
                }
                #expect(rig.simMeter?.relay == "armed")
                #expect(try await rig.store.account("A1")?.meter == MeterState(relay: .armed, alarm: false))
                // The store shows an outcome a moment before the dispatcher counts it: wait for the
                // count, then check it exactly (read at once, it raced a loaded machine).
                try await eventually("four acknowledgements counted") { dispatcher.stats.acknowledged >= 4 }
                #expect(dispatcher.stats.acknowledged == 4 && dispatcher.stats.sent == 4)
                #expect(dispatcher.stats.lastHeartbeat != nil)
            }
            // The acknowledgement details name the relay state read back from status word 3.
            let details = try await auditDetails(rig.store, event: "command_acknowledged")
            #expect(details.contains { $0.hasPrefix("trip: relay open (status word 3 02D0H)") })
            #expect(details.contains { $0.hasPrefix("allow_close: relay armed (status word 3 0290H)") })
            #expect(details.contains { $0.hasPrefix("alarm: alarm on (9CH)") })
            // One structured line per event, with the journal fields.
            let sent = rig.logs.events("command_sent")
            #expect(sent.count == 4)
            for line in sent + rig.logs.events("command_acknowledged") {
                #expect(line.metadata["account"] == "A1" && line.metadata["meter"] == DispatchRig.meter)
                #expect(line.metadata["terminal"] == "T1" && line.metadata["command_id"] != nil)
            }
            #expect(try await rig.store.verifyAudit().isIntact)
        }
    }

    @Test func aTripForACustomerWhoHasJustPaidIsSupersededNotSent() async throws {
        // Monday 18:00, trips only on weekdays 08:00–16:00: the trip waits for Tuesday 08:00.
        try await withDispatchRig(start: "2026-11-23T18:00:00+08:00", windows: ["Mon-Fri 08:00-16:00"]) { rig in
            try await rig.provision(opening: "-1.00")
            let trip = try #require(try await rig.command(.trip))
            #expect(trip.notBefore == instant("2026-11-24T08:00:00+08:00"))
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { dispatcher in
                try await eventually("alarm acknowledged") { try await rig.command(.alarm)?.state == .acknowledged }
                try await rig.pay("50.00", order: "P1")
                try await eventually("alarm released") { try await rig.command(.alarmRelease)?.state == .acknowledged }
                #expect(try await rig.command(.trip)?.state == .pending)

                rig.clock.advance(to: instant("2026-11-24T08:00:00+08:00"))
                try await eventually("trip superseded") { try await rig.command(.trip)?.state == .superseded }
                // Counted just after the store shows it (see tripOpensTheRelayAndAllowCloseArmsIt).
                try await eventually("supersession counted") { dispatcher.stats.superseded >= 1 }
                #expect(dispatcher.stats.superseded == 1)
            }
            #expect(rig.simMeter?.relay == "closed")
            #expect(!rig.logs.events("command_sent").contains { $0.metadata["kind"] == "trip" })
            let superseded = rig.logs.events("superseded")
            #expect(superseded.count == 1 && superseded.first?.metadata["kind"] == "trip")
            #expect(try await rig.store.account("A1")?.meter.relay == .closed)
        }
    }

    @Test func aTripOutsideTheWindowWaitsAndGoesOutWhenItOpens() async throws {
        // Monday 18:00, trips only on weekdays 08:00–16:00: the trip waits for Tuesday 08:00.
        try await withDispatchRig(start: "2026-11-23T18:00:00+08:00", windows: ["Mon-Fri 08:00-16:00"]) { rig in
            try await rig.provision(opening: "-1.00")
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("alarm acknowledged") { try await rig.command(.alarm)?.state == .acknowledged }
                // Overnight: still waiting, the relay still closed.
                rig.clock.advance(to: instant("2026-11-24T07:59:59+08:00"))
                #expect(try await rig.command(.trip)?.state == .pending)
                #expect(rig.simMeter?.relay == "closed")
                rig.clock.advance(to: instant("2026-11-24T08:00:00+08:00"))
                try await eventually("trip acknowledged at the window's opening") {
                    try await rig.command(.trip)?.state == .acknowledged
                }
            }
            #expect(rig.simMeter?.relay == "open")
            let trip = try #require(try await rig.command(.trip))
            #expect(try #require(trip.acknowledgedAt) >= instant("2026-11-24T08:00:00+08:00"))
        }
    }

    @Test func aWrongPasswordGoesToReviewAtOnceAndIsNeverLogged() async throws {
        try await withDispatchRig(simPassword: "02123456") { rig in
            try await rig.provision(opening: "10.00")  // alarm only
            try await rig.withDispatcher(policy: try DispatchRig.policy(password: "02A1B2C3")) { dispatcher in
                try await eventually("alarm in review") { try await rig.command(.alarm)?.state == .review }
                // Counted just after the store shows it (see tripOpensTheRelayAndAllowCloseArmsIt).
                try await eventually("review counted") { dispatcher.stats.reviewed >= 1 }
                #expect(dispatcher.stats.reviewed == 1 && dispatcher.stats.retried == 0)
            }
            let alarm = try #require(try await rig.command(.alarm))
            #expect(alarm.attempts == 1)
            #expect(alarm.lastError?.contains("ERR 04") == true)
            let item = try #require(try await rig.store.openReviewItems().first)
            #expect(item.commandID == alarm.id && item.reason.contains("ERR 04"))
            #expect(rig.logs.events("review").count == 1)
            #expect(rig.simMeter?.alarm == false)
            // The configured secret shows nowhere: not in logs, errors or the audit trail.
            #expect(!rig.logs.all.contains { $0.text.uppercased().contains("A1B2C3") })
            let audit = try await auditDetails(rig.store)
            #expect(!audit.contains { $0.uppercased().contains("A1B2C3") })
            #expect(!(alarm.lastError ?? "").uppercased().contains("A1B2C3"))
        }
    }

    @Test func keepPowerOnTheMeterRefusesTheTripIntoReview() async throws {
        try await withDispatchRig { rig in
            rig.simChange(MeterChange(keepPower: true))
            try await rig.provision(opening: "-1.00")
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("trip in review") { try await rig.command(.trip)?.state == .review }
            }
            #expect(try await rig.command(.alarm)?.state == .acknowledged)
            let trip = try #require(try await rig.command(.trip))
            #expect(trip.attempts == 1 && trip.lastError?.contains("meter refused: ERR 01") == true)
            #expect(rig.simMeter?.relay == "closed")
            #expect(try await rig.store.account("A1")?.meter.relay == .closed)
        }
    }

    @Test func anOfflineMeterRetriesWithBackoffThenReviewThenOperatorRetrySucceeds() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dispatch-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        try await withDispatchRig(storePath: path) { rig in
            rig.simChange(MeterChange(offline: true))
            try await rig.provision(opening: "10.00")  // alarm only
            let t0 = rig.start
            // 3 attempts; waits 10 s then 20 s capped at 15 s, each less 0.2 × 0.5 of jitter.
            let policy = try DispatchRig.policy(maxAttempts: 3, initial: .seconds(10), max: .seconds(15))
            try await rig.withDispatcher(policy: policy, random: { 0.5 }) { dispatcher in
                // A1's requests are the only ones on the line: moving line time times out just them.
                try await eventually("first attempt failed", movingLineTime: rig.lineTime) {
                    let c = try await rig.command(.alarm)
                    return c?.attempts == 1 && c?.state == .pending
                }
                var alarm = try #require(try await rig.command(.alarm))
                #expect(alarm.nextAttemptAt == t0.addingTimeInterval(9))
                #expect(alarm.lastError?.contains("no reply") == true)

                rig.clock.advance(to: t0.addingTimeInterval(9))
                try await eventually("second attempt failed", movingLineTime: rig.lineTime) {
                    let c = try await rig.command(.alarm)
                    return c?.attempts == 2 && c?.state == .pending
                }
                alarm = try #require(try await rig.command(.alarm))
                #expect(alarm.nextAttemptAt == t0.addingTimeInterval(9 + 13.5))

                rig.clock.advance(to: t0.addingTimeInterval(22.5))
                try await eventually("in review after 3 attempts", movingLineTime: rig.lineTime) {
                    try await rig.command(.alarm)?.state == .review
                }
                alarm = try #require(try await rig.command(.alarm))
                #expect(alarm.attempts == 3)
                #expect(alarm.lastError?.hasPrefix("attempts exhausted (3 of 3)") == true)
                // Counted just after the store shows it (see tripOpensTheRelayAndAllowCloseArmsIt).
                try await eventually("review counted") { dispatcher.stats.reviewed >= 1 }
                #expect(dispatcher.stats.retried == 2 && dispatcher.stats.reviewed == 1)
                #expect(rig.logs.events("command_failed").count == 3)

                // The terminal is back; an operator retries from job review.
                rig.simChange(MeterChange(offline: false))
                let item = try #require(try await rig.store.openReviewItems().first)
                let now = rig.clock.now
                _ = try await rig.store.act(onReview: item.id, .retry, note: "terminal back", newDeadline: now.addingTimeInterval(86_400),
                                            at: now)
                // Moved back to pending behind the dispatcher's back: tell it, as StationCore.act does.
                rig.core.dispatcherRescan.bump()
                rig.core.dispatcherSignal.bump()
                try await eventually("retried alarm acknowledged") { try await rig.command(.alarm)?.state == .acknowledged }
            }
            #expect(rig.simMeter?.alarm == true)
            #expect(try await rig.store.account("A1")?.meter.alarm == true)
        }
    }

    @Test func anUnreachableTerminalCountsAsAConnectionFailure() async throws {
        try await withDispatchRig { rig in
            // Point T1 at a port nobody listens on.
            try await rig.store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 1), at: rig.start)
            rig.lines.update(try await rig.store.terminals())
            try await rig.provision(opening: "10.00")
            let policy = try DispatchRig.policy(maxAttempts: 1)
            try await rig.withDispatcher(policy: policy) { _ in
                // The line is down: the alarm's wait for it ends when line time passes its timeout.
                try await eventually("alarm in review", movingLineTime: rig.lineTime) { try await rig.command(.alarm)?.state == .review }
            }
            let alarm = try #require(try await rig.command(.alarm))
            #expect(alarm.lastError?.hasPrefix("attempts exhausted (1 of 1)") == true)
        }
    }

    @Test func allowCloseGoesBeforeAnAlarmDueAtTheSameTime() async throws {
        try await withDispatchRig { rig in
            // A tripped meter, alarm off: at −5.00 the policy wants the alarm.
            _ = try await rig.store.upsertAccount(id: "A1", meterAddress: DispatchRig.meter, terminalID: "T1", tariff: "flat-test",
                                                  region: "north", alarmThreshold: nil, tripThreshold: nil, isProtected: false,
                                                  openingBalance: yuan("-5.00"), at: rig.start)
            try await rig.store.transaction { tx in
                try tx.setControlState(account: "A1", state: .tripped, meter: MeterState(relay: .open), at: rig.start)
            }
            rig.simChange(MeterChange(relay: .open))
            try await rig.core.reevaluate(account: "A1")
            rig.clock.advance(by: 60)
            // Paid to 15.00: allow-close (above the reconnect level), the older alarm still wanted.
            try await rig.pay("20.00", order: "P1")
            let queued = try await rig.commands()
            #expect(queued.map(\.kind) == [.alarm, .allowClose])
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("both acknowledged") { try await rig.commands().allSatisfy { $0.state == .acknowledged } }
            }
            #expect(rig.logs.events("command_sent").map { $0.metadata["kind"] } == ["allow_close", "alarm"])
            #expect(rig.simMeter?.relay == "armed" && rig.simMeter?.alarm == true)
            #expect(try await rig.store.account("A1")?.meter == MeterState(relay: .armed, alarm: true))
        }
    }

    @Test func aCommandPastItsDeadlineGoesToReviewUnsent() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "10.00")  // alarm, valid for 24 h
            rig.clock.advance(by: 86_400 + 60)
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("alarm in review") { try await rig.command(.alarm)?.state == .review }
            }
            #expect(try await rig.command(.alarm)?.lastError?.hasPrefix("deadline passed before sending") == true)
            #expect(rig.logs.events("command_sent").isEmpty)
            #expect(rig.simMeter?.alarm == false)
        }
    }

    @Test func aCommandLeftInFlightByACrashIsRecoveredAndSent() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "10.00")
            let alarm = try #require(try await rig.command(.alarm))
            #expect(try await rig.store.markInFlight(alarm.id, at: rig.clock.now))
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("alarm acknowledged") { try await rig.command(.alarm)?.state == .acknowledged }
            }
            #expect(rig.simMeter?.alarm == true)
        }
    }

    @Test func aMetersCommandsGoOneAtATimeOldestFirstAndWaitForARetry() async throws {
        let store = try StationStore.inMemory()
        let t = instant("2026-11-23T10:00:00+08:00")
        try await store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t)
        for (account, meter) in [("A1", "000000000001"), ("A2", "000000000002")] {
            _ = try await store.upsertAccount(id: account, meterAddress: meter, terminalID: "T1", tariff: "flat-test", region: "north",
                                              alarmThreshold: nil, tripThreshold: nil, isProtected: false, openingBalance: .zero, at: t)
        }
        @Sendable func plan(_ kind: CommandKind, notBefore: Date = t) -> PlannedCommand {
            PlannedCommand(kind: kind, reason: .balanceAtOrBelowTrip, detail: "test", balance: .zero, notBefore: notBefore,
                           isDeferred: notBefore > t)
        }
        let ids = try await store.transaction { tx in
            [try tx.enqueue(plan(.alarm), account: "A1", meter: "000000000001", deadline: t.addingTimeInterval(86_400), at: t),
             try tx.enqueue(plan(.trip), account: "A1", meter: "000000000001", deadline: t.addingTimeInterval(86_400), at: t),
             try tx.enqueue(plan(.trip, notBefore: t.addingTimeInterval(3600)), account: "A2", meter: "000000000002",
                            deadline: t.addingTimeInterval(90_000), at: t),
             try tx.enqueue(plan(.alarm), account: "A2", meter: "000000000002", deadline: t.addingTimeInterval(86_400), at: t)]
        }
        // A1: the alarm, not the trip; A2: the alarm (the deferred trip holds nothing back).
        #expect(try await store.dispatchableCommands(at: t).map(\.id) == [ids[0], ids[3]])
        #expect(try await store.nextDueInstant(after: t) == t.addingTimeInterval(3600))
        // A1's alarm failed and waits for its retry: A1's trip still waits behind it.
        #expect(try await store.markInFlight(ids[0], at: t))
        #expect(try await store.dispatchableCommands(at: t).map(\.id) == [ids[3]])
        try await store.retryLater(ids[0], error: "no reply", next: t.addingTimeInterval(10), at: t)
        #expect(try await store.dispatchableCommands(at: t).map(\.id) == [ids[3]])
        #expect(try await store.nextDueInstant(after: t) == t.addingTimeInterval(10))
        #expect(try await store.dispatchableCommands(at: t.addingTimeInterval(10)).map(\.id) == [ids[3], ids[0]])
        // Putting a command back does not count the attempt.
        #expect(try await store.markInFlight(ids[3], at: t))
        try await store.putBack(ids[3], until: t.addingTimeInterval(5), reason: "window closed", at: t)
        let a2alarm = try await store.command(ids[3])
        #expect(a2alarm.attempts == 0 && a2alarm.state == .pending && a2alarm.nextAttemptAt == t.addingTimeInterval(5))
    }
}

/// Audit details, oldest first, optionally of one event.
func auditDetails(_ store: StationStore, event: String? = nil) async throws -> [String] {
    try await store.auditTrail(event: event).map(\.detail)
}
