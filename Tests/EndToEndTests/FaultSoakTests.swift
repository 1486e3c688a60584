import StationHarness
import Testing

/// Issue 6 part 2: a faulty bus (drops, garbled and refused answers, meters off the bus) under
/// load for `SOAK_SECONDS` (60 by default; `make soak MINUTES=10` runs the long version).
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct FaultSoakTests {
    @Test func faultyBusEveryCommandEndsByItsDeadlineAndMemoryStaysFlat() async throws {
        var options = FaultSoak.Options()
        options.seconds = Double(environmentNumber("SOAK_SECONDS", default: 60))
        let report = try await FaultSoak.run(options)
        print(report)
        #expect(report.problems.isEmpty, "\(report.problems.count) problems:\n\(report.problems.prefix(40).joined(separator: "\n"))")
        #expect(report.paymentsAnswered > 0)
        #expect(report.retries > 0, "the faults made the dispatcher retry")
        #expect(report.operators.clockDrifts > 0 && report.operators.enrolments > 0, "clocks and writes under faults")
        #expect(report.controlRequestsByFate["drop", default: 0] > 0, "the bus dropped requests")
        #expect((report.commandsByState["pending"] ?? 0) + (report.commandsByState["in_flight"] ?? 0) == 0,
                "nothing stays pending or in flight: \(report.commandsByState)")
        #expect(!report.memory.samples.isEmpty)
    }
}
