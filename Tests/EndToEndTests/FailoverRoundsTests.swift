import Foundation
import StationConfig
import StationHarness
import StorePostgres
import Testing

/// Issue 16's failover proof (`FailoverRounds`): three nodes on one PostgreSQL station with
/// meter-sim, kill -9 of one node at random moments, checked after every round. `FAILOVER_ROUNDS`
/// rounds, 2 by default (`make test`'s short version); `make failover ROUNDS=20` the long one.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct FailoverRoundsTests {
    @Test(.enabled(if: ClusterEndToEndTests.server != nil, ClusterEndToEndTests.skipReason))
    func killNineOfOneNodeAtRandomMomentsLosesNothingAndTheOthersTakeOver() async throws {
        let server = try #require(ClusterEndToEndTests.server)
        let database = try await PostgresAdmin.createDatabase(on: server, named: PostgresAdmin.freshName("cc_failover")).url
        var options = FailoverRounds.Options(database: database)
        options.rounds = environmentNumber("FAILOVER_ROUNDS", default: 2)
        let report = try await FailoverRounds.run(options)
        print(report)
        #expect(report.problems.isEmpty, "\(report.problems.count) problems:\n\(report.problems.prefix(40).joined(separator: "\n"))")
        #expect(report.rounds == options.rounds && report.kills == options.rounds)
        #expect(report.takeovers.count == options.rounds, "every kill was followed by a takeover within the lease and a cycle")
        #expect(report.paymentsAnswered > 0, "payments went through between the kills")
        #expect(report.controlRequests > 0 && report.controlRequestsMatched > 0, "the meters received commands")
        #expect((report.commandsByState["pending"] ?? 0) + (report.commandsByState["in_flight"] ?? 0) == 0)
    }
}
