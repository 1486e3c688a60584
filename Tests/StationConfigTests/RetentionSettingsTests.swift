import Testing
@testable import StationConfig

/// `[retention]` and `[station] backups`: defaults, days, "off", and the mistakes refused.
@Suite("Retention and backup settings")
struct RetentionSettingsTests {
    @Test func defaultsKeepReadings400DaysAndDeliveredNotifications30() throws {
        let c = try configuration("[station]\ndatabase = \"/srv/cc/station.sqlite\"")
        #expect(c.retention == RetentionSettings(readings: .seconds(400 * 86_400), outbox: .seconds(30 * 86_400),
                                                 interval: .seconds(600), batch: 50))
        #expect(!c.retention.isShorterThanStatements)
        #expect(c.station.backups == "/srv/cc/backups")
        #expect(c.settingLines.contains { $0.key == "retention.readings" && $0.shown == "400d" }, "\(c.summary)")
        #expect(Duration.seconds(86_400).configText == "24h")
    }

    @Test func offDisablesSmallValuesAreAllowedButShorterThanStatements() throws {
        let c = try configuration("""
            [station]
            backups = "copies"
            [retention]
            readings = "2m"
            outbox = "off"
            interval = "5s"
            batch = 200
            """, file: "/srv/cc/etc/chargecontrold.toml")
        #expect(c.retention.readings == .seconds(120) && c.retention.outbox == nil)
        #expect(c.retention.interval == .seconds(5) && c.retention.batch == 200)
        #expect(c.retention.isShorterThanStatements)
        #expect(c.station.backups == "/srv/cc/etc/copies")
    }

    @Test(arguments: [
        ("[retention]\nreadings = \"0s\"", "retention.readings: \"0s\" must be longer than zero; \"off\" keeps everything"),
        ("[retention]\nreadings = \"400 days\"",
         "retention.readings: \"400 days\": want a number followed by ms, s, m, h or d, such as \"15m\" or \"1h30m\""),
        ("[retention]\nbatch = 0", "retention.batch: 0 is too small; want at least 1"),
        ("[retention]\nbatch = 50000", "retention.batch: 50000 is too large: one transaction would hold the writer too long; want at most 10000"),
        ("[retention]\nreading = \"400d\"", "retention.reading: unknown key (did you mean \"readings\"?)"),
        ("[retension]\nreadings = \"400d\"", "retension: unknown key (did you mean \"retention\"?)"),
        ("[station]\nbackup = \"b\"", "station.backup: unknown key (did you mean \"backups\"?)"),
    ])
    func mistakesAreNamed(text: String, message: String) {
        #expect(problems(text) == ["\(testFile): \(message)"])
    }
}
