import Foundation
import StationHarness
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 17, point 4: whoever reaches the API port, token or not, must not be able to starve the
/// meters. The real daemon runs with a descriptor limit of 256 while this test holds 400 idle
/// connections (replacing each one the daemon closes), slowloris heads and slow bodies against
/// it; collection and dispatch go on, a payment on a fresh connection is answered, and the
/// daemon's figures and log show what it closed.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct APIConnectionFloodTests {
    static let descriptorLimit = 256
    static let idleTimeout = Duration.seconds(5)
    static let bodyTimeout = Duration.seconds(3)

    @Test func floodsOfIdleAndSlowConnectionsDoNotStarveTheMeters() async throws {
        raiseOwnDescriptorLimit(atLeast: 2048)
        var options = StationOptions()
        options.descriptorLimit = Self.descriptorLimit
        options.apiIdleTimeout = "5s"
        options.apiBodyTimeout = "3s"
        let started = ContinuousClock.now
        try await HarnessStation.with("flood", options) { s in
            try await s.provisionTerminals()
            try await s.addAccount("P1", meter: 2, opening: "5.00")          // runs out within seconds: tripped
            try await s.addAccount("R1", meter: 6, opening: "100000.00")     // on the other terminal, read throughout
            try await s.eventually("P1's trip acknowledged", within: 60) { () async throws -> Bool? in
                try await s.commands("P1").contains { $0["kind"]?.string == "trip" && $0["state"]?.string == "acknowledged" } ? true : nil
            }
            let daemon = try #require(s.daemon)
            let idleDescriptors = daemon.openDescriptors
            let cap = try await figures(s).value("chargecontrol_api_connections_cap")
            print("[flood] idle daemon holds \(idleDescriptors) descriptors; API cap \(Int(cap)) under a limit of \(Self.descriptorLimit)")
            #expect(cap >= 100, "the cap leaves the API a useful share")
            #expect(Int(cap) + idleDescriptors + s.options.terminals < Self.descriptorLimit,
                    "the cap leaves room for what the daemon holds and its terminals")
            #expect(tail(of: s.daemonLog, lines: 400).contains("descriptor limit \(Self.descriptorLimit)"))

            // 1. Alone, slow clients are cut by their own timers: dribbled bytes do not count.
            let alone = await APIAttack(port: s.apiPort, plan: .init(slowloris: 2, slowBody: 2, token: s.paymentsToken))
                .run(for: .seconds(60), untilAllClosed: true)
            #expect(alone.openAtEnd == 0 && alone.ended.count == 4, "\(alone)")
            for ended in alone.ended(.slowloris) {
                #expect(ended.lifetime >= Self.idleTimeout - .milliseconds(200) && ended.lifetime < Self.idleTimeout + .seconds(25), "\(ended)")
                #expect(ended.bytesSent >= 3 && ended.bytesSent < ended.payloadBytes, "it kept trickling and never finished: \(ended)")
            }
            for ended in alone.ended(.slowBody) {
                #expect(ended.lifetime >= Self.bodyTimeout - .milliseconds(200) && ended.lifetime < Self.bodyTimeout + .seconds(25), "\(ended)")
                #expect(ended.bytesSent < ended.payloadBytes, "\(ended)")
            }
            let afterAlone = try await figures(s)
            #expect(afterAlone.refused("idle_timeout") >= 2)
            #expect(afterAlone.refused("body_timeout") >= 2)
            #expect(afterAlone.refused("evicted") == 0, "nothing was at the cap")

            // 2. The flood: far more idle connections than descriptors, replaced as they go.
            let floodStart = ContinuousClock.now
            let attack = APIAttack(port: s.apiPort, plan: .init(idle: 400, slowloris: 3, slowBody: 3, reconnect: true, token: s.paymentsToken))
            let flood = Task { await attack.run(for: .seconds(180)) }
            let sampler = Task { await Self.mostDescriptors(of: daemon) }
            defer {
                flood.cancel()
                sampler.cancel()
            }
            let full = try await s.eventually("the flood at the API's cap", within: 30) { () async throws -> Figures? in
                let f = try await figures(s)
                return f.refused("evicted") > 0 ? f : nil
            }
            let readsBefore = full.value("chargecontrol_reads_ok_total")
            let r1Before = try await s.account("R1")["last_reading_at"]?.string

            // A payment on a fresh connection gets in and is answered.
            let paid = try await HTTPClient().send("POST", "\(s.api)/v1/payments", token: s.paymentsToken, json: jsonObject([
                "order_no": "FLOOD-1", "account_id": "P1", "amount_yuan": "100.00", "channel": "mobile_app",
            ]))
            #expect(paid.status == 201, "\(paid)")
            // Dispatch goes on: the allow-close it caused reaches the meter.
            try await s.eventually("P1's allow-close acknowledged during the flood", within: 60) { () async throws -> Bool? in
                try await s.commands("P1").contains { $0["kind"]?.string == "allow_close" && $0["state"]?.string == "acknowledged" } ? true : nil
            }
            // Collection goes on, on both terminals.
            try await s.eventually("R1 read again during the flood", within: 60) { () async throws -> Bool? in
                try await s.account("R1")["last_reading_at"]?.string != r1Before ? true : nil
            }
            let during = try await s.eventually("more reads during the flood, both terminals online", within: 60) { () async throws -> Figures? in
                let f = try await figures(s)
                return f.value("chargecontrol_reads_ok_total") >= readsBefore + 4 && f.value("chargecontrol_terminals_online") == 2 ? f : nil
            }
            #expect(during.value("chargecontrol_api_connections_open") <= cap)
            // Slow bodies cannot be evicted: their own timer cuts them, flood or not.
            try await s.eventually("slow bodies cut during the flood", within: 60) { () async throws -> Bool? in
                try await figures(s).refused("body_timeout") >= afterAlone.refused("body_timeout") + 3 ? true : nil
            }
            flood.cancel()
            let report = await flood.value
            sampler.cancel()
            let floodDescriptors = await sampler.value
            let floodSeconds = (ContinuousClock.now - floodStart).seconds

            let idleClosed = report.ended(.idle).count
            print("""
                [flood] \(String(format: "%.1f", floodSeconds)) s of flood: \(report.opened) connections opened, \(report.ended.count) \
                closed by the daemon (\(idleClosed) idle, \(report.ended(.slowloris).count) slowloris, \(report.ended(.slowBody).count) \
                slow bodies), \(report.openAtEnd) still open at the end; the daemon held at most \(floodDescriptors) descriptors
                """)
            #expect(floodDescriptors < Self.descriptorLimit, "the daemon's descriptors stayed within its limit")
            #expect(report.opened >= 400 && idleClosed > 0, "\(report.opened) opened, \(idleClosed) closed")
            #expect(!report.ended(.slowloris).contains { $0.bytesSent >= $0.payloadBytes }, "no slowloris head got through")

            // The figures and the log: every kind counted, the log a line every few seconds at most.
            let after = try await s.eventually("the flood's connections gone from the gate", within: 30) { () async throws -> Figures? in
                let f = try await figures(s)
                return f.value("chargecontrol_api_connections_open") <= 3 ? f : nil
            }
            #expect(after.refused("evicted") >= Double(idleClosed) / 2, "most idle closures were evictions at the cap")
            let log = tail(of: s.daemonLog, lines: 100_000)
            let lines = log.split(separator: "\n").filter { $0.contains("API connections closed by the station") }
            let allowed = Int((ContinuousClock.now - started).seconds / 5) + 3
            #expect(!lines.isEmpty && lines.count <= allowed, "\(lines.count) log lines about closed connections, at most \(allowed)")
            #expect(!log.contains("Too many open files"), "the daemon ran out of descriptors")
        }
        print("[flood] the whole test took \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s")
    }

    /// The most descriptors `daemon` held, sampled every 50 ms until the task is cancelled (at
    /// most 5 minutes).
    private static func mostDescriptors(of daemon: ManagedProcess) async -> Int {
        var most = 0
        let deadline = ContinuousClock.now + .seconds(300)
        while !Task.isCancelled, ContinuousClock.now < deadline {
            most = max(most, daemon.openDescriptors)
            try? await Task.sleep(for: .milliseconds(50))
        }
        return most
    }

    /// The station's `/metrics` as of now.
    private func figures(_ s: HarnessStation) async throws -> Figures {
        let answer = try await s.call("GET", "/metrics", token: s.viewerToken)
        guard answer.status == 200 else { throw HarnessFailure("GET /metrics: \(answer.status)") }
        return Figures(text: answer.text)
    }

    /// This process holds 400+ sockets: lift its soft descriptor limit towards the hard one.
    private func raiseOwnDescriptorLimit(atLeast wanted: Int) {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
        _ = setrlimit(resource, &limit)
    }
}

/// One scrape of `/metrics`.
struct Figures: Sendable {
    let text: String

    /// The sum of a family over its label sets (or one sample, when `name` carries its labels).
    func value(_ name: String) -> Double { prometheusSum(of: name, in: text) }

    /// `chargecontrol_api_connections_refused_total` for one reason.
    func refused(_ reason: String) -> Double { value("chargecontrol_api_connections_refused_total{reason=\"\(reason)\"}") }
}

extension Duration {
    /// In seconds, for printing.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
