import Testing
@testable import StationConfig

/// The API listens on loopback unless `[api] allow_remote = true` says otherwise (issue 6, access
/// control): a non-loopback `listen` alone is a configuration error naming the key to set.
@Suite struct APIListenTests {
    @Test(arguments: ["127.0.0.1:8645", "127.0.0.2:9000", "[::1]:8645", "[0:0:0:0:0:0:0:1]:8645", "localhost:8645", "LOCALHOST:1"])
    func loopbackNeedsNoOptIn(_ listen: String) throws {
        let config = try configuration("[api]\nlisten = \"\(listen)\"")
        #expect(config.api.listen.isLoopback)
        #expect(!config.api.allowRemote)
    }

    @Test(arguments: ["0.0.0.0:8645", "192.168.1.10:8645", "[::]:8645", "[fe80::1]:8645", "station.example:8645",
                      "128.0.0.1:8645", "[::2]:8645", "127.0.0.1.example:8645"])
    func anyOtherAddressIsRefusedWithoutTheOptIn(_ listen: String) throws {
        let lines = try #require(problems("[api]\nlisten = \"\(listen)\""))
        #expect(lines == ["""
            \(testFile): api.listen: "\(try ListenAddress(listen))" is not a loopback address: the API would be reachable \
            from the network; set api.allow_remote = true to mean it, or listen on 127.0.0.1 or [::1]
            """])
        #expect(try #require(problems("[api]\nlisten = \"\(listen)\"\nallow_remote = false")) == lines)
    }

    @Test func theOptInAllowsAnyAddressAndShowsInTheSummary() throws {
        let config = try configuration("[api]\nlisten = \"0.0.0.0:8645\"\nallow_remote = true")
        #expect(config.api.listen.description == "0.0.0.0:8645")
        #expect(config.api.allowRemote)
        #expect(config.summary.contains("api.allow_remote") && config.summary.contains("= true"))
        let local = try configuration("")
        #expect(!local.api.allowRemote && local.api.listen.description == "127.0.0.1:8645")
        #expect(config.changes(from: local).contains("api.allow_remote: false → true"))
    }

    @Test func aBadOptInIsItsOwnError() throws {
        let lines = try #require(problems("[api]\nlisten = \"0.0.0.0:8645\"\nallow_remote = \"yes\""))
        #expect(lines == ["\(testFile): api.allow_remote: want true or false, found a string"])
    }
}
