import ChargeControl
import DLT645
import Foundation
import Hummingbird
import HummingbirdTesting
import MeterSim
import Store
import Synchronization
import Testing
@testable import Station

/// `GET /v1/meters/ADDR/live` and `GET /v1/terminals[/ID]` against an in-process meter-sim on
/// 127.0.0.1, through the station's real terminal line on manual line time.
@Suite struct APILiveReadTests {
    /// The router over the rig's core and lines; the collector's figures are `reads`.
    static func router(_ rig: DispatchRig, reads: [String: CollectorStats.TerminalStats] = [:]) -> Router<APIRequestContext> {
        APIServer.buildRouter(core: rig.core, tokens: TestToken.tokens, settings: APIServerSettings(
            timeZone: shanghai, dispatchDeadline: .seconds(3600), lines: rig.lines, terminalReads: { reads },
            liveReadBound: .seconds(5)))
    }

    /// Runs the lines (and an idle dispatcher) around `body` with a client of the rig's API.
    static func withAPI(_ rig: DispatchRig, reads: [String: CollectorStats.TerminalStats] = [:],
                        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
            try await Application(router: router(rig, reads: reads)).test(.router) { client in try await body(client) }
        }
    }

    @Test func readsTheMeterNowBesideTheStationsBalance() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "30.00")
            rig.simChange(MeterChange(totalHundredths: 123_456))
            try await Self.withAPI(rig) { client in
                let answer = try await client.call(.get, "/v1/meters/000000000001/live", token: TestToken.viewer)
                #expect(answer.status == .ok, "\(answer.text)")
                let o = answer.json
                #expect(o["meter_address"] as? String == "000000000001")
                #expect(o["total_kwh"] as? String == "1234.56")
                #expect((o["registers"] as? [String: Any])?.keys.sorted() == ["flat", "peak", "sharp", "valley"])
                #expect(o["relay"] as? String == "closed")
                #expect(o["alarm"] as? Bool == false)
                #expect(o["keep_power"] as? Bool == false)
                #expect(o["clock_offset_s"] as? Int == 0, "the sim's clock runs at the station's instant")
                #expect(o["remaining_yuan"] == nil, "the sim has no 00900200: left out")
                let parameters = try #require(o["parameters"] as? [String: String])
                #expect(parameters["04001001"] == "0.00")
                #expect(parameters["04050101"] == "0.0000")
                #expect(parameters["04050204"] == "0.0000")
                #expect(parameters["04000101"] == nil, "the clock shows as clock_offset_s")
                #expect(o["balance_yuan"] as? String == "30.00")
                #expect(o["read_at"] as? String == "2026-11-23T10:00:00+08:00")
            }
        }
    }

    @Test func aMeterThatDoesNotAnswerIs504NamingIt() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "30.00")
            rig.simChange(MeterChange(offline: true))
            try await Self.withAPI(rig) { client in
                let call = Task { try await client.call(.get, "/v1/meters/000000000001/live", token: TestToken.operator) }
                // The line's timeouts and the read's bound run on line time: move it until the answer comes.
                let done = Done()
                Task { _ = try? await call.value; done.set() }
                try await eventually("the live read answered", movingLineTime: rig.lineTime) { done.isSet }
                let answer = try await call.value
                #expect(answer.status == .gatewayTimeout, "\(answer.text)")
                #expect(answer.error.contains("meter 000000000001 on terminal T1 did not answer"), "\(answer.error)")
            }
        }
    }

    @Test func unknownMetersAndTerminalsAre404() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "30.00")
            try await Self.withAPI(rig) { client in
                let meter = try await client.call(.get, "/v1/meters/000000000002/live", token: TestToken.viewer)
                #expect(meter.status == .notFound, "no account owns the sim's second meter")
                #expect(try await client.call(.get, "/v1/meters/abc/live", token: TestToken.viewer).status == .badRequest)
                #expect(try await client.call(.get, "/v1/terminals/T9", token: TestToken.viewer).status == .notFound)
            }
        }
    }

    @Test func terminalConditionFromTheLineAndTheCollector() async throws {
        var counted = CollectorStats.TerminalStats()
        counted.readsOK = 3
        counted.readsFailed = 1
        let stats = counted
        try await withDispatchRig { rig in
            try await rig.provision(opening: "30.00")
            try await Self.withAPI(rig, reads: ["T1": stats]) { client in
                #expect(try await client.call(.get, "/v1/meters/000000000001/live", token: TestToken.viewer).status == .ok)
                let list = try await client.call(.get, "/v1/terminals", token: TestToken.viewer)
                #expect(list.status == .ok)
                #expect(list.list.count == 1)
                let t = try await client.call(.get, "/v1/terminals/T1", token: TestToken.viewer).json
                #expect(t["terminal_id"] as? String == "T1")
                #expect(t["host"] as? String == "127.0.0.1")
                #expect(t["online"] as? Bool == true)
                #expect(t["since"] as? String != nil)
                #expect(t["last_reply_at"] as? String != nil)
                #expect(t["meters"] as? Int == 1)
                #expect(t["reads_ok"] as? Int == 3)
                #expect(t["reads_failed"] as? Int == 1)
                #expect(t["success_ratio"] as? Double == 0.75)
                // Line time stands still in the rig: every round trip took 0 ms, the first bucket.
                #expect(t["round_trip_ms_p50"] as? Double == 1)
                #expect(t["round_trip_ms_p99"] as? Double == 1)
                #expect(t["queue_depth"] as? Int == 0)
            }
        }
    }
}

/// A flag set once, read from another task.
final class Done: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
