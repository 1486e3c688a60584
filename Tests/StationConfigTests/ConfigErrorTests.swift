import Testing
@testable import StationConfig

@Suite("Configuration mistakes")
struct ConfigErrorTests {
    /// One mistake and the one line it must give, after `FILE: `.
    @Test(arguments: [
        // unknown keys and sections
        ("[collection]\nintervall = \"5m\"", "collection.intervall: unknown key (did you mean \"interval\"?)"),
        ("[colection]\ninterval = \"5m\"", "colection: unknown key (did you mean \"collection\"?)"),
        ("[api]\nbogus_thing = 1", "api.bogus_thing: unknown key; known keys here: listen, allow_remote, tokens_file, max_connections, idle_timeout, body_timeout"),
        ("[control.classes.hospital]\nprotect = true", "control.classes.hospital.protect: unknown key (did you mean \"protected\"?)"),
        ("[collection.classes.Rural]\ninterval = \"1h\"", "collection.classes.Rural: \"Rural\" is not a class name; use lower-case letters, digits, _ and -"),
        // wrong types
        ("log = \"info\"", "log: want a table [log], found a string"),
        ("[station]\ndatabase = 5", "station.database: want a string such as \"/var/lib/chargecontrol/station.sqlite\", found an integer"),
        ("[collection]\ntimeout = 5", "collection.timeout: want a string such as \"5s\", found an integer"),
        ("[control]\nalarm_yuan = 20.0", "control.alarm_yuan: want a string such as \"20.00\", found a floating-point number"),
        ("[dispatch]\nmax_attempts = \"5\"", "dispatch.max_attempts: want an integer such as 5, found a string"),
        ("[control]\ntrip_windows = \"Mon-Fri 08:00-16:00\"", "control.trip_windows: want an array of strings such as [\"Mon-Fri 08:00-16:00\"], found a string"),
        ("[control.classes.hospital]\nprotected = \"yes\"", "control.classes.hospital.protected: want true or false, found a string"),
        // bad values
        ("[collection]\ninterval = \"10 sec\"", "collection.interval: \"10 sec\": want a number followed by ms, s, m, h or d, such as \"15m\" or \"1h30m\""),
        ("[collection]\ninterval = \"0s\"", "collection.interval: \"0s\" must be longer than zero"),
        ("[collection]\ninterval = \"1m\"\njitter = \"1m\"", "collection.jitter: \"1m\" is not shorter than interval \"1m\""),
        ("[collection]\nstaleness = \"5m\"", "collection.staleness: \"5m\" is shorter than interval \"15m\""),
        ("[control]\nalarm_yuan = \"20.005\"", "control.alarm_yuan: \"20.005\" has 3 decimals; at most 2 allowed"),
        ("[control]\ntrip_yuan = \"lots\"", "control.trip_yuan: \"lots\" is not a decimal number"),
        ("[control]\nalarm_yuan = \"5.00\"\ntrip_yuan = \"10.00\"", "control.alarm_yuan: \"5.00\" is below trip_yuan \"10.00\"; the alarm must come first"),
        ("[control]\nreconnect_margin_yuan = \"-1.00\"", "control.reconnect_margin_yuan: \"-1.00\" must not be negative"),
        ("[control.classes.shop]\ntrip_yuan = \"50.00\"", "control.classes.shop.trip_yuan: \"50.00\" is above alarm_yuan \"20.00\"; the alarm must come first"),
        ("[station]\ntimezone = \"Asia/Shangai\"", "station.timezone: unknown time zone \"Asia/Shangai\"; want an IANA name such as \"Asia/Shanghai\""),
        ("[station]\ndatabase = \"\"", "station.database: must not be empty"),
        ("[station]\ndatabase = \"postgresql://db/charge\"", "station.database: no user in postgresql://db/charge"),
        ("[station]\ndatabase = \"postgresql://station:s3cret@db/charge?sslmode=prefer\"",
         "station.database: sslmode prefer is not one of disable, require, verify-full"),
        ("[control]\ntrip_windows = [\"Mon-Fri 08:00-16:00\", \"Mon-Fir 08:00-16:00\"]", "control.trip_windows[1]: unknown day \"Fir\"; expected Mon, Tue, Wed, Thu, Fri, Sat or Sun"),
        ("[control]\ntrip_windows = [\"Mon-Fri 16:00-08:00\"]", "control.trip_windows[0]: \"16:00-08:00\" ends before it starts; split a window across midnight into two"),
        ("[control]\ntrip_windows = []", "control.trip_windows: no windows; trips would never happen (use \"Mon-Sun 00:00-24:00\" for any time)"),
        ("[control]\nholidays = [\"2026-13-01\"]", "control.holidays[0]: \"2026-13-01\" is not a date \"YYYY-MM-DD\""),
        ("[control]\nholidays = [20261001]", "control.holidays[0]: want a string such as \"2026-10-01\", found an integer"),
        ("[api]\nlisten = \"127.0.0.1:70000\"", "api.listen: \"127.0.0.1:70000\": port 70000 is outside 1 to 65535"),
        ("[api]\nlisten = \"127.0.0.1:0\"", "api.listen: \"127.0.0.1:0\": port 0 is outside 1 to 65535"),
        ("[api]\nlisten = \"127.0.0.1\"", "api.listen: \"127.0.0.1\" has no port; want HOST:PORT such as \"127.0.0.1:8645\" or \"[::1]:8645\""),
        ("[api]\nlisten = \"localhost:http\"", "api.listen: \"localhost:http\": port \"http\" is not a number from 1 to 65535"),
        ("[api]\nlisten = \"::1:8645\"", "api.listen: \"::1:8645\": put an IPv6 address in brackets, as in \"[::1]:8645\""),
        ("[meters]\noperator = \"1\"", "meters.operator: \"1\": want 8 hex digits such as \"00000001\""),
        ("[dispatch]\nbackoff_initial = \"10s\"\nbackoff_max = \"5s\"", "dispatch.backoff_max: \"5s\" is shorter than backoff_initial \"10s\""),
        ("[dispatch]\nmax_attempts = 0", "dispatch.max_attempts: 0 is too small; want at least 1"),
        ("[dispatch]\ndeadline = \"forever\"", "dispatch.deadline: \"forever\": want a number followed by ms, s, m, h or d, such as \"15m\" or \"1h30m\""),
        ("[log]\nlevel = \"verbose\"", "log.level: \"verbose\" is not one of trace, debug, info, notice, warning, error, critical"),
        ("[log]\ntarget = \"syslog\"", "log.target: \"syslog\" is not one of auto, journald, stderr"),
        // bounds (issue 17)
        ("[payments]\nmax_yuan = \"1000000000.01\"", "payments.max_yuan: \"1000000000.01\" must be above 0.00 and at most 1000000000.00 yuan (the balance bound)"),
        ("[payments]\nmax_yuan = \"0.00\"", "payments.max_yuan: \"0.00\" must be above 0.00 and at most 1000000000.00 yuan (the balance bound)"),
        ("[payments]\nmax_yuan = \"9223372036854.78\"", "payments.max_yuan: \"9223372036854.78\" is out of range"),
        ("[payments]\nmax = \"5.00\"", "payments.max: unknown key; known keys here: max_yuan"),
        ("[control]\ntrip_yuan = \"-10000000.01\"", "control.trip_yuan: \"-10000000.01\" is out of bounds: thresholds and margins lie between -10000000.00 and 10000000.00 yuan"),
        ("[control.classes.shop]\nalarm_yuan = \"9223372036854.77\"", "control.classes.shop.alarm_yuan: \"9223372036854.77\" is out of bounds: thresholds and margins lie between -10000000.00 and 10000000.00 yuan"),
        ("[notify]\nurl = \"ftp://gateway.example/hook\"", "notify.url: \"ftp://gateway.example/hook\" is not an http or https URL such as \"https://sms-gateway.example/hook\""),
        ("[notify]\nurl = \"not a url\"", "notify.url: \"not a url\" is not an http or https URL such as \"https://sms-gateway.example/hook\""),
        ("[validation]\nrated_power_kw = \"0\"", "validation.rated_power_kw: \"0\" must be above zero"),
        ("[validation]\nregister_sum_tolerance_kwh = \"0.001\"", "validation.register_sum_tolerance_kwh: \"0.001\" has 3 decimals; at most 2 allowed"),
    ])
    func reportsMistake(text: String, expected: String) {
        #expect(problems(text) == ["\(testFile): \(expected)"])
    }

    @Test(arguments: ["0200000Z", "0A1B2C3D4", "secret", "0x020000"])
    func badPasswordIsNotRepeated(password: String) throws {
        let lines = try #require(problems("[meters]\npassword = \"\(password)\""))
        #expect(lines == ["\(testFile): meters.password: want 8 hex digits, level byte first, such as \"02000000\" (the value given is not shown)"])
        #expect(!lines.joined().contains(password))
    }

    @Test func syntaxErrorNamesFileAndLine() throws {
        let lines = try #require(problems("[station]\ndatabase = \"x\"\n[api\nlisten = 1"))
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("\(testFile): line 3, column "))
    }

    @Test func everyMistakeIsReportedTogether() throws {
        let text = """
            [colection]
            interval = "5m"

            [control]
            alarm_yuan = "20.005"
            trip_windows = ["Mon-Fri 08:00-16:00", "Mon-Fir 08:00-16:00"]

            [dispatch]
            max_attempts = 0
            backoff_initial = "10s"
            backoff_max = "5s"

            [log]
            level = "verbose"
            """
        let lines = try #require(problems(text))
        #expect(lines == [
            "\(testFile): colection: unknown key (did you mean \"collection\"?)",
            "\(testFile): control.alarm_yuan: \"20.005\" has 3 decimals; at most 2 allowed",
            "\(testFile): control.trip_windows[1]: unknown day \"Fir\"; expected Mon, Tue, Wed, Thu, Fri, Sat or Sun",
            "\(testFile): dispatch.max_attempts: 0 is too small; want at least 1",
            "\(testFile): dispatch.backoff_max: \"5s\" is shorter than backoff_initial \"10s\"",
            "\(testFile): log.level: \"verbose\" is not one of trace, debug, info, notice, warning, error, critical",
        ])
        do {
            _ = try StationConfiguration.parse(text, file: testFile)
        } catch {
            #expect(error.description == lines.joined(separator: "\n"))
        }
    }

    @Test func aMissingFileIsReported() {
        #expect {
            _ = try StationConfiguration.load(path: "/nonexistent/chargecontrold.toml")
        } throws: { error in
            "\(error)".hasPrefix("/nonexistent/chargecontrold.toml: cannot read the file")
        }
    }
}

/// Fuzzing finding (Tests/Fuzz): `[*` aborted the process inside TOMLKit's toml++ instead of failing.
@Suite struct ConfigTOMLAbortTests {
    @Test func tableHeaderWithoutKeyIsAnErrorNotAnAbort() {
        #expect(throws: ConfigurationError.self) { try StationConfiguration.parse("[station]\n[*\n", file: "c.toml") }
    }

    /// Finding 4: `}` where an array value should start (`y=[}`) aborted in toml++'s parse_value().
    @Test func closingBraceAsArrayValueIsAnErrorNotAnAbort() throws {
        do {
            _ = try StationConfiguration.parse("[station]\nname = \"x\"\nholidays = [\n}\n", file: "c.toml")
            Issue.record("parsed")
        } catch {
            #expect(error.description.contains("c.toml"))
            #expect(error.description.contains("line 4, column 1"))
        }
    }
}
