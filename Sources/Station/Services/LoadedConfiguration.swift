import Foundation
import StationConfig
import Tariffs

/// The configuration with everything it names loaded and checked: tariffs and API tokens. A
/// daemon that starts has all of it; `--check-config` stops here.
public struct LoadedConfiguration: Sendable {
    public let configuration: StationConfiguration
    public let tariffs: [String: Tariff]
    public let tokens: APITokens
    public let tokensPath: String
    public let file: String

    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    public static func load(path: String, tokensFile: String?) throws -> LoadedConfiguration {
        let (configuration, tariffs) = try loadRules(path: path)
        let tokensPath = tokensFile ?? configuration.api.tokensFile
        let tokens = try loadTokens(path: tokensPath, configurationFile: path)
        return LoadedConfiguration(configuration: configuration, tariffs: tariffs, tokens: tokens, tokensPath: tokensPath, file: path)
    }

    /// The configuration file and the tariffs it names, without the tokens.
    static func loadRules(path: String) throws -> (StationConfiguration, [String: Tariff]) {
        let configuration: StationConfiguration
        do {
            configuration = try StationConfiguration.load(path: path)
        } catch {
            throw Refusal(description: error.description)
        }
        let tariffs: [String: Tariff]
        do {
            tariffs = try TariffFolder.load(configuration.station.tariffs)
        } catch {
            throw Refusal(description: "\(path): station.tariffs: \(error.description)")
        }
        return (configuration, tariffs)
    }

    /// The tokens file alone (a reload reads it on its own: a broken one keeps the tokens in
    /// force without refusing the rest); `configurationFile` names the key in the refusal.
    public static func loadTokens(path tokensPath: String, configurationFile path: String) throws -> APITokens {
        do {
            return try TokensFile.load(path: tokensPath)
        } catch {
            throw Refusal(description: "\(path): api.tokens_file: \(error.description)")
        }
    }


    public var summary: String {
        var lines = ["\(file): OK", configuration.summary]
        lines.append("tariffs: " + tariffs.keys.sorted().joined(separator: ", "))
        lines.append("tokens: \(tokens.count) in \(tokensPath)")
        return lines.joined(separator: "\n")
    }
}
