import Testing
@testable import StationConfig

@Suite("Durations")
struct DurationTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("10s", .seconds(10)),
        ("15m", .seconds(900)),
        ("24h", .seconds(86_400)),
        ("1h30m", .seconds(5400)),
        ("1m500ms", .milliseconds(60_500)),
        ("0s", .zero),
        ("400d", .seconds(400 * 86_400)),
        ("1d", .seconds(86_400)),
        ("2d12h", .seconds(216_000)),
    ])
    func parses(text: String, expected: Duration) throws {
        #expect(try Duration(configText: text) == expected)
        #expect(try Duration(configText: expected.configText) == expected)
    }

    @Test(arguments: ["10 sec", "", "10", "s", "1.5s", "-1s", "10S", "1w", " 10s"])
    func refusesMalformed(text: String) {
        #expect(throws: InvalidValue("\"\(text)\": want a number followed by ms, s, m, h or d, such as \"15m\" or \"1h30m\"")) {
            try Duration(configText: text)
        }
    }

    @Test func refusesUnitsOutOfOrder() {
        #expect(throws: InvalidValue("\"30m1h\": units must go from largest to smallest, each once, as in \"1h30m\"")) {
            try Duration(configText: "30m1h")
        }
        #expect(throws: InvalidValue.self) { try Duration(configText: "1s1s") }
    }

    @Test func refusesOverflow() {
        #expect(throws: InvalidValue("\"99999999999999999999h\" is too long a duration")) {
            try Duration(configText: "99999999999999999999h")
        }
        #expect(throws: InvalidValue("\"9999999999999999h\" is too long a duration")) {
            try Duration(configText: "9999999999999999h")
        }
    }

    @Test func formats() {
        #expect(Duration.seconds(5400).configText == "1h30m")
        #expect(Duration.milliseconds(1500).configText == "1s500ms")
        #expect(Duration.zero.configText == "0s")
    }
}
