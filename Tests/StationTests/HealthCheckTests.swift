import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Systemd
import Synchronization
import Testing
@testable import Station

/// `/healthz`: the watchdog's heartbeats judged loop by loop, and the store's writes.
@Suite struct HealthCheckTests {
    let start = instant("2026-11-23T10:00:00+08:00")

    func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    @Test func eachSignalGivesItsOwnProblem() {
        let check = HealthCheck(gate: WatchdogGate(freshness: WatchdogGate.standardFreshness, startedAt: start))
        let fresh = StoreWriteHealth(lastCommit: at(95))
        // Loops not beaten yet are given the watchdog's grace from start-up.
        #expect(check.problems(collectorHeartbeat: nil, dispatcherHeartbeat: nil, store: StoreWriteHealth(), at: at(10)).isEmpty)
        #expect(check.problems(collectorHeartbeat: at(99), dispatcherHeartbeat: at(95), store: fresh, at: at(100)).isEmpty)

        let stalled = check.problems(collectorHeartbeat: at(99), dispatcherHeartbeat: at(60), store: fresh, at: at(100))
        #expect(stalled.map(\.code) == [.dispatchStalled])
        #expect(stalled.first?.detail == "the dispatcher last showed progress 40 s ago")
        let neverRan = check.problems(collectorHeartbeat: nil, dispatcherHeartbeat: at(99), store: fresh, at: at(100))
        #expect(neverRan.map(\.code) == [.collectionStalled])

        // A failed write shows until a later commit clears it (the store keeps it until then).
        let failed = StoreWriteHealth(lastCommit: at(50),
                                      failure: .init(at: at(90), detail: "SQLite error 13: database or disk is full"))
        let unwritable = check.problems(collectorHeartbeat: at(99), dispatcherHeartbeat: at(99), store: failed, at: at(100))
        #expect(unwritable.map(\.code) == [.storeUnwritable])
        #expect(unwritable.first?.detail
            == "the last write failed 10 s ago: SQLite error 13: database or disk is full; last commit 50 s ago")

        // A commit under way is no problem until it has run as long as a loop may go silent.
        let committing = StoreWriteHealth(lastCommit: at(50), roundStarted: at(71))
        #expect(check.problems(collectorHeartbeat: at(99), dispatcherHeartbeat: at(99), store: committing, at: at(100)).isEmpty)
        let stuck = check.problems(collectorHeartbeat: at(99), dispatcherHeartbeat: at(99), store: committing, at: at(101))
        #expect(stuck.map(\.code) == [.storeStalled])
    }

    @Test func healthzAnswers503WithTheProblems() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let problems = ProblemBox()
        var settings = fixture.settings
        settings.health = { problems.value }
        let router = APIServer.buildRouter(core: fixture.core, tokens: TestToken.tokens, settings: settings)
        try await Application(router: router).test(.router) { client in
            let ok = try await client.call(.get, "/healthz", token: nil)
            #expect(ok.status == .ok && ok.text == "{\"status\":\"ok\"}\n")

            problems.value = [HealthProblem(code: .storeUnwritable, detail: "the last write failed 0 s ago: disk full"),
                              HealthProblem(code: .dispatchStalled, detail: "the dispatcher last showed progress 31 s ago")]
            let degraded = try await client.call(.get, "/healthz", token: nil)
            #expect(degraded.status == .serviceUnavailable)
            #expect(degraded.json["status"] as? String == "degraded")
            let shown = try #require(degraded.json["problems"] as? [[String: String]])
            #expect(shown == problems.value.map { ["code": $0.code.rawValue, "detail": $0.detail] })

            problems.value = []
            #expect(try await client.call(.get, "/healthz", token: nil).status == .ok)
        }
    }
}

/// Problems a test sets while the router reads them.
final class ProblemBox: Sendable {
    private let box = Mutex<[HealthProblem]>([])
    var value: [HealthProblem] {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}
