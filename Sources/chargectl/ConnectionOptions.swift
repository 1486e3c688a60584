import ArgumentParser
import Foundation

/// Where the daemon is and who we are: `--url`/`CHARGECTL_URL`, `--token`/`CHARGECTL_TOKEN`, or
/// the settings file (`ConfigFile`), and `--json` for the daemon's own JSON instead of tables.
struct ConnectionOptions: ParsableArguments {
    static let defaultURL = "http://127.0.0.1:8645"

    @Option(help: "The daemon's API address (default: $CHARGECTL_URL or \(ConnectionOptions.defaultURL)).")
    var url: String?

    @Option(help: "The bearer token (default: $CHARGECTL_TOKEN). Prefer the variable: arguments are visible to other users.")
    var token: String?

    @Flag(help: "Print the daemon's JSON instead of a table.")
    var json = false

    func validate() throws {
        _ = try resolvedURL()
    }

    /// The settings file, read once per command.
    private func configFile() throws -> ConfigFile {
        let environment = ProcessInfo.processInfo.environment
        guard let path = ConfigFile.defaultPath(environment: environment) else { return ConfigFile() }
        do { return try ConfigFile.load(path: path) } catch { throw ValidationError(error.description) }
    }

    func resolvedURL() throws -> URL {
        let text = try url ?? ProcessInfo.processInfo.environment["CHARGECTL_URL"] ?? configFile().url ?? Self.defaultURL
        guard let parsed = URL(string: text.hasSuffix("/") ? text : text + "/"), let scheme = parsed.scheme,
              scheme == "http" || scheme == "https", parsed.host != nil
        else {
            throw ValidationError("--url must be an http(s) address like \(Self.defaultURL), got \"\(text)\"")
        }
        return parsed
    }

    var client: StationClient {
        get throws {
            let environment = ProcessInfo.processInfo.environment["CHARGECTL_TOKEN"]
            return StationClient(baseURL: try resolvedURL(), token: try token ?? environment ?? configFile().token)
        }
    }

    /// Runs a call, printing the daemon's JSON with `--json` or `human` of the answer otherwise;
    /// failures are reported on stderr and end the command with their exit code.
    func run(_ body: (StationClient) async throws(StationCallError) -> StationAnswer, human: (StationAnswer) -> String) async throws {
        do {
            let answer = try await body(try client)
            print(json ? answer.text : human(answer))
        } catch let error as StationCallError {
            printError("chargectl: \(error)")
            throw ExitCode(error.exitCode)
        }
    }
}
