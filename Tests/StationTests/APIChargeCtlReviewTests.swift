import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Store
import Testing
@testable import Station

/// `chargectl review resolve --resolution` against the API on a real socket.
@Suite struct APIChargeCtlReviewTests {
    @Test(.enabled(if: APIChargeCtlTests.binary != nil, "chargectl is not built (run swift build --build-tests)"))
    func readingItemsAreResolvedWithAResolution() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let evaluator = fixture.core.evaluator
        // A1 (10.00 yuan): baseline 100 kWh, then 50 kWh: backwards, a reading item.
        for (at, total) in [("2026-11-23T10:00:00+08:00", "100.00"), ("2026-11-23T11:00:00+08:00", "50.00")] {
            _ = try await fixture.store.transaction { tx in
                try evaluator.apply(reading: reading(at, total: total), meter: nil, account: "A1", at: instant(at), in: tx)
            }
        }
        let item = try #require(try await fixture.store.openReviewItems().first { $0.kind == .reading }).id
        try await fixture.serving { url in
            func run(_ arguments: [String]) async throws -> APIChargeCtlTests.Run {
                try await APIChargeCtlTests.chargectl(["review", "resolve", "\(item)"] + arguments, url: url, token: TestToken.operator)
            }
            let bogus = try await run(["--resolution", "maybe", "--note", "x"])
            #expect(bogus.status == 2 && bogus.err.contains("--resolution"), "\(bogus)")
            let missing = try await run(["--note", "x"])
            #expect(missing.status == 1 && missing.err.contains("resolution"), "\(missing)")
            let refused = try await run(["--resolution", "accept", "--note", "x"])
            #expect(refused.status == 1 && refused.err.contains("meter_replaced"), "\(refused)")
            let done = try await run(["--resolution", "meter_replaced", "--note", "meter swapped"])
            #expect(done.status == 0 && done.out.contains("review item \(item): resolved (meter_replaced)"), "\(done)")
        }
        #expect(try await fixture.store.reviewItem(item).resolution == .meterReplaced)
    }
}
