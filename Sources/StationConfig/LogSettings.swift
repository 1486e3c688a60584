import Logging

/// Where log entries go.
public enum LogTarget: String, Sendable, Hashable, CaseIterable {
    /// journald when started by systemd (`$JOURNAL_STREAM` matches stderr), else stderr.
    case auto
    /// Always journald, natively with structured fields.
    case journald
    /// Always stderr, one line an entry.
    case stderr
}

/// `[log]`: where entries go and how much is written.
public struct LogSettings: Sendable, Hashable {
    /// Default `auto`.
    public var target: LogTarget
    /// The least severe level written. Default `info`.
    public var level: Logger.Level

    static let keys = ["target", "level"]

    static func read(_ root: Section, _ reader: TableReader) -> LogSettings {
        let section = reader.section(root, "log", known: keys)
        return LogSettings(
            target: reader.value(section, "target", default: .auto, example: "auto") { (text: String) throws(InvalidValue) -> LogTarget in
                try oneOf(text, LogTarget.allCases)
            },
            level: reader.value(section, "level", default: .info, example: "info") { (text: String) throws(InvalidValue) -> Logger.Level in
                try oneOf(text, Logger.Level.allCases)
            }
        )
    }
}

/// The case of `cases` whose raw value is `text`, or a refusal listing them.
func oneOf<T: RawRepresentable>(_ text: String, _ cases: [T]) throws(InvalidValue) -> T where T.RawValue == String {
    guard let found = cases.first(where: { $0.rawValue == text }) else {
        throw InvalidValue("\"\(text)\" is not one of " + cases.map(\.rawValue).joined(separator: ", "))
    }
    return found
}
