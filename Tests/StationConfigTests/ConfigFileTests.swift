import ChargeControl
import Foundation
import Tariffs
import Testing
@testable import StationConfig

@Suite("Configuration files")
struct ConfigFileTests {
    let defaultFile = repositoryRoot.appendingPathComponent("Config/chargecontrold.toml").path
    let demoFile = repositoryRoot.appendingPathComponent("Config/demo.toml").path

    /// A PostgreSQL station's URL is kept as written (not resolved as a path); backups default
    /// to the package's state folder.
    @Test func aPostgresURLIsTakenAsWritten() throws {
        let loaded = try configuration("[station]\ndatabase = \"postgresql://station@db.example:5433/charge?sslmode=require\"")
        #expect(loaded.station.database == "postgresql://station@db.example:5433/charge?sslmode=require")
        #expect(loaded.station.backups == "/var/lib/chargecontrol/backups")
    }

    @Test func theDefaultFileStatesTheBuiltInDefaults() throws {
        let loaded = try StationConfiguration.load(path: defaultFile)
        let empty = try configuration("")
        #expect(loaded == empty)
        #expect(loaded.station.database == "/var/lib/chargecontrol/station.sqlite")
        #expect(loaded.station.timeZone.identifier == "Asia/Shanghai")
        #expect(loaded.station.tariffs == "/etc/chargecontrol/tariffs")
        #expect(loaded.api.listen == (try ListenAddress("127.0.0.1:8645")))
        #expect(loaded.api.tokensFile == "/etc/chargecontrol/tokens")
        #expect(loaded.collection.interval == .seconds(900))
        #expect(loaded.collection.timeout == .seconds(5))
        #expect(loaded.collection.standard.staleness == .seconds(3600))
        #expect(loaded.collection.classes.isEmpty)
        #expect(loaded.control.defaults.alarm.balance == (try Money(yuan: "20.00")))
        #expect(loaded.control.defaults.trip.balance == .zero)
        #expect(loaded.control.defaults.reconnectMargin.amount == (try Money(yuan: "5.00")))
        #expect(loaded.control.calendar.windows == [try TripWindow("Mon-Fri 08:00-16:00")])
        #expect(loaded.control.calendar.holidays.isEmpty)
        #expect(loaded.dispatch == DispatchSettings(maxAttempts: 5, backoffInitial: .seconds(10), backoffMax: .seconds(600), deadline: .seconds(86_400)))
        #expect(loaded.meters.password.secretHexDigits == "02000000")
        #expect(loaded.meters.operatorCode.hexDigits == "00000001")
        #expect(loaded.log == LogSettings(target: .auto, level: .info))
        #expect(loaded.notify.url == nil)
        #expect(loaded.validation == ValidationLimits())
    }

    @Test func theDemoFileParsesWithPathsFromItsFolder() throws {
        let demo = try StationConfiguration.load(path: demoFile)
        #expect(demo.station.database == repositoryRoot.appendingPathComponent("demo-run/station.sqlite").standardizedFileURL.path)
        #expect(demo.station.tariffs == repositoryRoot.appendingPathComponent("Config/tariffs").standardizedFileURL.path)
        #expect(FileManager.default.fileExists(atPath: demo.station.tariffs + "/zhejiang-residential-tou-tiered.toml"))
        #expect(demo.api.listen.description == "127.0.0.1:8645")
        #expect(demo.collection.interval == .seconds(5))
        #expect(demo.collection.timeout == .seconds(2))
        #expect(demo.dispatch.backoffInitial == .seconds(1))
        #expect(demo.dispatch.backoffMax == .seconds(10))
        #expect(demo.dispatch.deadline == .seconds(3600))
        #expect(demo.log == LogSettings(target: .stderr, level: .info))
        #expect(demo.control.calendar.holidays.isEmpty)
        // Trips are allowed at any instant of the week.
        for hour in stride(from: 0, to: 7 * 24, by: 5) {
            #expect(demo.control.calendar.isOpen(at: Date(timeIntervalSince1970: Double(hour) * 3600 + 1_780_000_000)))
        }
        #expect(demo.control.settings(forClass: "hospital").isProtected)
        #expect(!demo.control.settings(forClass: nil).isProtected)
    }

    @Test func relativePathsStartAtTheFilesFolder() throws {
        let text = "[station]\ndatabase = \"data/station.sqlite\"\ntariffs = \"../tariffs/\"\n[api]\ntokens_file = \"./tokens\""
        let absolute = try configuration(text, file: "/srv/cc/etc/chargecontrold.toml")
        #expect(absolute.station.database == "/srv/cc/etc/data/station.sqlite")
        #expect(absolute.station.tariffs == "/srv/cc/tariffs")
        #expect(absolute.api.tokensFile == "/srv/cc/etc/tokens")
        let relative = try configuration(text, file: "conf/chargecontrold.toml")
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        #expect(relative.station.database == cwd.appendingPathComponent("conf/data/station.sqlite").standardizedFileURL.path)
        let absoluteKept = try configuration("[station]\ndatabase = \"/var/x/../y.sqlite\"", file: "conf/c.toml")
        #expect(absoluteKept.station.database == "/var/y.sqlite")
    }

    @Test func classesInheritFromTheirSection() throws {
        let config = try configuration("""
            [collection]
            interval = "10m"
            jitter = "10s"

            [collection.classes.rural]
            interval = "1h"

            [collection.classes.shop]
            jitter = "1m"

            [control]
            alarm_yuan = "30.00"
            trip_yuan = "-10.00"

            [control.classes.hospital]
            protected = true

            [control.classes.shop]
            alarm_yuan = "200.00"
            """)
        let rural = config.collection.strategy(forClass: "rural")
        #expect(rural == CollectionStrategy(interval: .seconds(3600), jitter: .seconds(10), staleness: .seconds(4 * 3600)))
        let shop = config.collection.strategy(forClass: "shop")
        #expect(shop == CollectionStrategy(interval: .seconds(600), jitter: .seconds(60), staleness: .seconds(2400)))
        #expect(config.collection.strategy(forClass: "unknown") == config.collection.standard)
        let hospital = config.control.settings(forClass: "hospital")
        #expect(hospital.isProtected)
        #expect(hospital.trip.balance == (try Money(yuan: "-10.00")))
        #expect(config.control.settings(forClass: "shop").alarm.balance == (try Money(yuan: "200.00")))
        #expect(config.control.settings(forClass: "shop").trip.balance == (try Money(yuan: "-10.00")))
    }

    @Test func otherValuesAreRead() throws {
        let config = try configuration("""
            [api]
            listen = "[::1]:9000"
            [notify]
            url = "https://sms.example/hook"
            [validation]
            rated_power_kw = "26.4"
            clock_skew = "2m"
            [log]
            target = "journald"
            level = "debug"
            """)
        #expect(config.api.listen.host == "::1")
        #expect(config.api.listen.port == 9000)
        #expect(config.api.listen.description == "[::1]:9000")
        #expect(config.notify.url?.absoluteString == "https://sms.example/hook")
        #expect(config.validation.ratedPower == RatedPower(watts: 26_400))
        #expect(config.validation.clockSkew == ClockSkewLimit(seconds: 120))
        #expect(config.log == LogSettings(target: .journald, level: .debug))
    }
}
