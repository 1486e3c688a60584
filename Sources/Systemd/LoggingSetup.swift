import Logging

/// Chooses the daemon's log handler: native journald entries under systemd, stderr otherwise.
public enum LoggingSetup {
    /// The handler factory for `LoggingSystem.bootstrap`. `destination` nil means "auto"; the
    /// level is read from `level` on every call, so a reload can change it.
    public static func factory(identifier: String, destination: LogDestination?, level: LogLevelControl,
                               journalStream: String?) -> @Sendable (String) -> any LogHandler {
        let chosen = destination ?? LogDestination.automatic(journalStream: journalStream)
        switch chosen {
        case .journald:
            return { _ in LevelControlledHandler(inner: JournalLogHandler(identifier: identifier), control: level) }
        case .stderr:
            return { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .trace  // the wrapper decides
                return LevelControlledHandler(inner: handler, control: level)
            }
        }
    }
}
