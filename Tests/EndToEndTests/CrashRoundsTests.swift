import StationHarness
import Testing

/// Scenario 6 and issue 6 part 1: kill -9 in the middle of a mixed load, restart on the same
/// file, and check everything after every round (`CrashRounds`). `CRASH_ROUNDS` rounds, 10 by
/// default; `make crash ROUNDS=200` runs the long version.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct CrashRoundsTests {
    @Test func killNineAtRandomMomentsLosesNothing() async throws {
        var options = CrashRounds.Options()
        options.rounds = environmentNumber("CRASH_ROUNDS", default: 10)
        let report = try await CrashRounds.run(options)
        print(report)
        #expect(report.problems.isEmpty, "\(report.problems.count) problems:\n\(report.problems.prefix(40).joined(separator: "\n"))")
        #expect(report.rounds == options.rounds && report.kills == options.rounds)
        #expect(report.paymentsAnswered > 0, "payments went through between the kills")
        #expect(report.repostsChecked == report.paymentsAnswered)
        #expect(report.controlRequests > 0 && report.controlRequestsMatched > 0, "the meters received commands")
        #expect(report.operators.enrolments > 0 && report.writesCompared > 0, "parameter writes went through the kills")
        #expect(report.operators.clockDrifts > 0, "meter clocks were set off for the station to correct")
        #expect((report.commandsByState["pending"] ?? 0) + (report.commandsByState["in_flight"] ?? 0) == 0)
    }
}
