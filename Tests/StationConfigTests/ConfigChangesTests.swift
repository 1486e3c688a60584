import Testing
@testable import StationConfig

@Suite("Summary and changes")
struct ConfigChangesTests {
    @Test func summaryShowsEveryKeyButNoSecret() throws {
        let config = try configuration("[meters]\npassword = \"0A1B2C3D\"")
        let summary = config.summary
        #expect(!summary.contains("0A1B2C3D"))
        #expect(!String(describing: config).contains("0A1B2C3D"))
        #expect(!String(reflecting: config).contains("0A1B2C3D"))
        var dumped = ""
        dump(config, to: &dumped)
        #expect(!dumped.contains("0A1B2C3D"))
        #expect(summary.contains("meters.password"))
        #expect(summary.contains("level 0A, ******"))
        for key in ["station.database", "api.listen", "collection.interval", "control.trip_windows", "dispatch.deadline", "log.level", "notify.url", "validation.clock_skew"] {
            #expect(summary.contains(key))
        }
    }

    @Test func noChangesBetweenEqualConfigurations() throws {
        #expect(try configuration("").changes(from: configuration("")).isEmpty)
    }

    @Test func changesSayWhatChanged() throws {
        let old = try configuration("")
        let new = try configuration("""
            [control]
            alarm_yuan = "25.00"
            trip_windows = ["Mon-Sun 00:00-24:00"]
            [control.classes.hospital]
            protected = true
            [meters]
            password = "04123456"
            [log]
            level = "debug"
            """)
        #expect(new.changes(from: old) == [
            "control.alarm_yuan: 20.00 → 25.00",
            "control.classes.hospital.alarm_yuan: added, 25.00",
            "control.classes.hospital.trip_yuan: added, 0.00",
            "control.classes.hospital.reconnect_margin_yuan: added, 5.00",
            "control.classes.hospital.protected: added, true",
            "control.trip_windows: Mon,Tue,Wed,Thu,Fri 08:00-16:00 → Mon,Tue,Wed,Thu,Fri,Sat,Sun 00:00-24:00",
            "meters.password: level 02, ****** → level 04, ******",
            "log.level: info → debug",
        ])
        #expect(old.changes(from: new).contains("control.classes.hospital.protected: removed (was true)"))
        let samelevel = try configuration("[meters]\npassword = \"02999999\"")
        #expect(samelevel.changes(from: old) == ["meters.password: changed (secret, not shown)"])
    }
}
