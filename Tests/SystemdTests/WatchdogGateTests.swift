import Foundation
import Testing
import Systemd

@Suite struct WatchdogGateTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func pingsOnlyWhileEveryLoopBeats() {
        let gate = WatchdogGate(freshness: 30, startedAt: start)
        let now = start.addingTimeInterval(100)
        #expect(gate.mayPing(heartbeats: [now.addingTimeInterval(-1), now.addingTimeInterval(-5)], at: now))
        // The dispatcher stalled 31 s ago: no more pings, so systemd restarts the daemon.
        #expect(!gate.mayPing(heartbeats: [now.addingTimeInterval(-1), now.addingTimeInterval(-31)], at: now))
        // A loop that never beat is stalled once the grace from start-up has passed.
        #expect(gate.mayPing(heartbeats: [nil, start], at: start.addingTimeInterval(10)))
        #expect(!gate.mayPing(heartbeats: [nil, now], at: now))
    }
}
