import Testing
@testable import StationConfig

/// `[meters] clock_tolerance` and `live_read_timeout`: defaults, values, and refusals that name the key.
@Suite struct MetersSectionTests {
    @Test func defaultsAndValues() throws {
        let defaults = try StationConfiguration.parse("", file: "/tmp/t.toml").meters
        #expect(defaults.clockTolerance == .seconds(60) && defaults.liveReadTimeout == .seconds(5))
        let set = try StationConfiguration.parse("[meters]\nclock_tolerance = \"2m\"\nlive_read_timeout = \"12s\"\n", file: "/tmp/t.toml").meters
        #expect(set.clockTolerance == .seconds(120) && set.liveReadTimeout == .seconds(12))
        #expect(set.liveReadTimeout != defaults.liveReadTimeout)
    }

    @Test func aBadTimeoutIsNamed() {
        do {
            _ = try StationConfiguration.parse("[meters]\nlive_read_timeout = \"0s\"\n", file: "/tmp/t.toml")
            Issue.record("a zero live-read timeout was accepted")
        } catch {
            #expect("\(error)".contains("meters.live_read_timeout"), "\(error)")
        }
    }
}
