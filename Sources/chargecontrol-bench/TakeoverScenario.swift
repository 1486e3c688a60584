import Foundation
import StationConfig
import StationHarness
import StorePostgres

/// p8 (issue 16): the takeover time after kill -9. Two nodes on a new PostgreSQL database share
/// a simulator's terminals; once each leases some, one is killed with SIGKILL, and the time until
/// the other leases every terminal (`GET /v1/cluster`, polled every 50 ms) is measured, `rounds`
/// times (the killed node started again between them). Goal: at most the lease time + 2 s.
struct TakeoverScenario {
    let postgres: PostgresLocation
    let leaseSeconds: Int
    let rounds: Int
    let tariffs: URL
    let progress: (String) -> Void

    struct Result {
        var seconds: [Double] = []
        var max: Double { seconds.max() ?? 0 }
        var mean: Double { seconds.isEmpty ? 0 : seconds.reduce(0, +) / Double(seconds.count) }
    }

    func run() async throws -> Result {
        var options = StationOptions.bench(meters: 40, terminals: 4, tariffs: tariffs)
        options.database = try await PostgresAdmin.createDatabase(on: postgres, named: PostgresAdmin.freshName("bench_p8")).url
        options.extraConfig = "[cluster]\nlease = \"\(leaseSeconds)s\"\n"
        let base = options
        options = HarnessStation.node("b0", of: options)
        return try await HarnessStation.bench("p8", options) { station in
            try await station.startSim()
            try await station.startDaemon()
            try await station.provisionTerminals()
            let peers = try await station.startPeers(1, baseOptions: base, progress: progress)
            let nodes = [station] + peers
            var result = Result()
            do {
                for round in 0..<rounds {
                    let victim = nodes[round % 2], survivor = nodes[(round + 1) % 2]
                    let survivorName = "b\(round % 2 == 0 ? 1 : 0)"
                    try await station.eventually("both nodes leasing terminals", within: 60) { () async throws -> Bool? in
                        let leases = try await FailoverRounds.clusterLeases(survivor)
                        return leases.count == 2 && leases.values.allSatisfy { !$0.isEmpty } ? true : nil
                    }
                    await victim.killDaemon()
                    let killed = ContinuousClock.now
                    while true {
                        let leases = try await FailoverRounds.clusterLeases(survivor)
                        if leases[survivorName]?.count == 4 { break }
                        guard ContinuousClock.now - killed < .seconds(60) else { throw BenchFailure("p8: no takeover within 60 s") }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    let seconds = (ContinuousClock.now - killed).seconds
                    result.seconds.append(seconds)
                    progress(String(format: "p8: round %d: the other node leased every terminal %.2f s after kill -9", round + 1, seconds))
                    try await victim.startDaemon()
                }
            } catch {
                for peer in peers { await peer.shutdown(); peer.removeFolder() }
                throw error
            }
            for peer in peers { await peer.shutdown(); peer.removeFolder() }
            return result
        }
    }
}
