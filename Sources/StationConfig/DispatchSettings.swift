/// `[dispatch]`: how hard the dispatcher tries before a command goes to job review.
public struct DispatchSettings: Sendable, Hashable {
    /// Sends of one command before it goes to review; at least 1. Default 5.
    public var maxAttempts: Int
    /// The wait after the first failure; doubled after each further one. Default `10s`.
    public var backoffInitial: Duration
    /// The longest wait between attempts; at least `backoffInitial`. Default `10m`.
    public var backoffMax: Duration
    /// A command not acknowledged this long after it was created goes to review; also written
    /// into the 1CH validity time. Default `24h`.
    public var deadline: Duration

    static let keys = ["max_attempts", "backoff_initial", "backoff_max", "deadline"]

    static func read(_ root: Section, _ reader: TableReader) -> DispatchSettings {
        let section = reader.section(root, "dispatch", known: keys)
        let settings = DispatchSettings(
            maxAttempts: reader.integer(section, "max_attempts", default: 5, minimum: 1),
            backoffInitial: reader.duration(section, "backoff_initial", default: .seconds(10)),
            backoffMax: reader.duration(section, "backoff_max", default: .seconds(600)),
            deadline: reader.duration(section, "deadline", default: .seconds(86_400))
        )
        let initialKey = section.key("backoff_initial")
        let maxKey = section.key("backoff_max")
        if reader.isValid(initialKey, maxKey), settings.backoffMax < settings.backoffInitial {
            reader.report(
                maxKey,
                "\"\(settings.backoffMax.configText)\" is shorter than backoff_initial \"\(settings.backoffInitial.configText)\"")
        }
        return settings
    }
}
