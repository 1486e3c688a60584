import ArgumentParser
import Foundation

/// `chargectl`'s exit codes (shown by `chargectl --help`).
enum ExitStatus {
    /// Done.
    static let ok = ExitCode(0)
    /// The daemon refused the request (4xx), or a file had bad lines.
    static let refused = ExitCode(1)
    /// The command line was wrong.
    static let usage = ExitCode(2)
    /// The daemon could not be reached, or failed (5xx).
    static let unavailable = ExitCode(3)

    static let help = """
        Exit codes: 0 ok; 1 the daemon refused the request (4xx) or an import had bad lines; \
        2 usage error; 3 cannot connect to the daemon, or it failed (5xx).
        The daemon's address and token come from --url and --token, or CHARGECTL_URL and \
        CHARGECTL_TOKEN (default url http://127.0.0.1:8645). --json prints the daemon's JSON.
        """
}

extension ChargeCtl {
    /// Runs the command, mapping usage errors to exit code 2 instead of ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
