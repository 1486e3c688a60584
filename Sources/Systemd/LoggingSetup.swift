import Logging

/// Chooses the daemon's log handler: native journald entries under systemd, stderr otherwise.
public enum LoggingSetup {
    /// The handler factory for `LoggingSystem.bootstrap`. `destination` nil means "auto".
    public static func factory(identifier: String, destination: LogDestination?, level: Logger.Level,
                               journalStream: String?) -> @Sendable (String) -> any LogHandler {
        let chosen = destination ?? LogDestination.automatic(journalStream: journalStream)
        switch chosen {
        case .journald:
            return { _ in JournalLogHandler(identifier: identifier, level: level) }
        case .stderr:
            return { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
