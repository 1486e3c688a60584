import Foundation
import Hummingbird
import HummingbirdTesting
import MeterSim
import Store
import Testing
@testable import Station

/// Collection coverage: each customer class counted against its own interval, from the
/// collector's memory of its last good reads; and where `/v1/stats` shows it.
@Suite struct CollectionCoverageTests {
    static let business = "business"

    /// Meters 1 and 2 are of class business, read every 5 minutes; 3 and 4 have no class and are read
    /// every 15 (the default). All are read, then fall silent: 400 s later only the business
    /// ones are past their interval; 1,000 s later all are.
    @Test func eachClassIsCountedAgainstItsOwnInterval() async throws {
        try await withCollectRig(meters: 4, terminals: 1, customerClass: { $0 < 2 ? Self.business : nil },
                                 strategies: { $0.customerClass == Self.business
                                     ? ReadingStrategy(interval: .seconds(300)) : ReadingStrategy(interval: .seconds(900)) }) { rig in
            let start = rig.collector.coverage()
            #expect(start.classes[Self.business]?.meters == 2 && start.classes[Self.business]?.interval == .seconds(300))
            #expect(start.classes[CollectionCoverage.defaultClass]?.meters == 2)
            #expect(start.classes[CollectionCoverage.defaultClass]?.interval == .seconds(900))
            // Not read yet, but scheduled just now: within every interval.
            #expect(start.staleCount == 0 && start.ratio == 1)

            try await rig.cycle(reads: 4)
            let read = rig.collector.coverage()
            #expect(read.classes[Self.business]?.read == 2 && read.classes[CollectionCoverage.defaultClass]?.read == 2)
            #expect(read.staleCount == 0 && read.stale.isEmpty)

            for meter in 0..<4 { rig.change(meter, MeterChange(offline: true)) }
            rig.simClock.advance(seconds: 400)
            rig.clock.advance(by: 400)
            let businessLate = rig.collector.coverage()
            #expect(businessLate.classes[Self.business]?.read == 0)
            #expect(businessLate.classes[Self.business]?.ratio == 0)
            #expect(businessLate.classes[CollectionCoverage.defaultClass]?.ratio == 1)
            #expect(businessLate.staleCount == 2)
            #expect(businessLate.stale == [rig.address(0).description, rig.address(1).description].sorted())
            #expect(businessLate.ratio == 0.5)

            rig.simClock.advance(seconds: 600)
            rig.clock.advance(by: 600)
            let allLate = rig.collector.coverage(staleLimit: 3)
            #expect(allLate.classes[CollectionCoverage.defaultClass]?.read == 0)
            #expect(allLate.staleCount == 4)
            #expect(allLate.stale == (0..<4).map { rig.address($0).description }.sorted().prefix(3).map { $0 })
            #expect(allLate.statusText == "coverage 0.0% (4 stale)")
        }
    }

    /// `/v1/stats` carries the collector's coverage station-wide; a region's stats do not.
    @Test func statsShowCoverage() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let coverage = MetricsFixtureStats.coverage
        var settings = fixture.settings
        settings.coverage = { coverage }
        let router = APIServer.buildRouter(core: fixture.core, tokens: TestToken.tokens, settings: settings)
        try await Application(router: router).test(.router) { client in
            let stats = try await client.call(.get, "/v1/stats", token: TestToken.viewer)
            #expect(stats.status == .ok)
            let shown = try #require(stats.json["collection_coverage"] as? [String: Any])
            #expect(shown["stale_meters"] as? Int == coverage.staleCount)
            #expect(shown["stale"] as? [String] == coverage.stale)
            #expect(shown["ratio"] as? Double == coverage.ratio)
            let classes = try #require(shown["classes"] as? [String: [String: Any]])
            #expect(classes[Self.business]?["interval"] as? String == "5m")
            #expect(classes[CollectionCoverage.defaultClass]?["meters"] as? Int == 4)
            #expect(classes[CollectionCoverage.defaultClass]?["read"] as? Int == 3)
            #expect(classes[CollectionCoverage.defaultClass]?["ratio"] as? Double == 0.75)

            let region = try await client.call(.get, "/v1/stats?region=north", token: TestToken.viewer)
            #expect(region.status == .ok && region.json["collection_coverage"] == nil)
        }
    }
}
