import Testing
@testable import StationConfig

/// `[api] max_connections`, `idle_timeout` and `body_timeout` (issue 17): defaults, values read,
/// and each bad value named with its file, key and problem.
@Suite struct APILimitsTests {
    @Test func defaults() throws {
        let api = try configuration("").api
        #expect(api.maxConnections == 512)
        #expect(api.idleTimeout == .seconds(10))
        #expect(api.bodyTimeout == .seconds(30))
    }

    @Test func valuesAreReadAndShownInTheSummary() throws {
        let config = try configuration("[api]\nmax_connections = 64\nidle_timeout = \"2500ms\"\nbody_timeout = \"1m\"")
        #expect(config.api.maxConnections == 64)
        #expect(config.api.idleTimeout == .milliseconds(2500))
        #expect(config.api.bodyTimeout == .seconds(60))
        for line in ["api.max_connections", "api.idle_timeout", "api.body_timeout"] {
            #expect(config.summary.contains(line))
        }
        #expect(config.changes(from: try configuration("")).contains("api.idle_timeout: 10s → 2s500ms"))
    }

    static let mistakes: [(String, String)] = [
        ("max_connections = 0", "api.max_connections: 0 is too small; want at least 1"),
        ("max_connections = \"512\"", "api.max_connections: want an integer such as 512, found a string"),
        ("max_connections = 2000000",
         "api.max_connections: 2000000 is more connections than Linux lets a process open; want at most 1048576"),
        ("idle_timeout = \"0s\"", "api.idle_timeout: \"0s\" must be longer than zero"),
        ("idle_timeout = \"500ms\"",
         "api.idle_timeout: \"500ms\" is too short: a client on a slow link could not send its request in time; want at least \"1s\""),
        ("idle_timeout = 10", "api.idle_timeout: want a string such as \"10s\", found an integer"),
        ("body_timeout = \"30 s\"",
         "api.body_timeout: \"30 s\": want a number followed by ms, s, m, h or d, such as \"15m\" or \"1h30m\""),
        ("body_timeout = \"999ms\"",
         "api.body_timeout: \"999ms\" is too short: a client on a slow link could not send its request in time; want at least \"1s\""),
    ]

    @Test(arguments: mistakes)
    func aBadValueNamesFileKeyAndProblem(line: String, expected: String) {
        #expect(problems("[api]\n\(line)") == ["\(testFile): \(expected)"])
    }
}
