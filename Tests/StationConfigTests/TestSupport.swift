import Foundation
@testable import StationConfig

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The name configuration errors carry in these tests.
let testFile = "/etc/chargecontrol/chargecontrold.toml"

/// Parses `text` as `testFile`, returning the error's lines or nil when it parsed.
func problems(_ text: String) -> [String]? {
    do {
        _ = try StationConfiguration.parse(text, file: testFile)
        return nil
    } catch {
        return error.problems.map(\.description)
    }
}

/// Parses `text`, which the test expects to be valid.
func configuration(_ text: String, file: String = testFile) throws -> StationConfiguration {
    try StationConfiguration.parse(text, file: file)
}
