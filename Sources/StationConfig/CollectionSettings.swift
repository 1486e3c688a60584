/// How often one class of meters is read.
public struct CollectionStrategy: Sendable, Hashable {
    /// How often each meter is read.
    public var interval: Duration
    /// Each read starts up to this much after its slot, at random, so meters of one class do not
    /// all answer at once; shorter than `interval`.
    public var jitter: Duration
    /// A meter whose last good reading is older than this is reported stale; at least `interval`.
    public var staleness: Duration
}

/// `[collection]` and its optional `[collection.classes.NAME]` tables.
///
/// ```toml
/// [collection]
/// interval = "15m"      # default strategy
/// timeout = "5s"        # one request on a terminal line
/// jitter = "0s"
/// staleness = "1h"      # default: four intervals
///
/// [collection.classes.commercial]   # customer class "commercial"
/// interval = "5m"                   # missing keys come from [collection]
/// ```
///
/// A class's missing `interval` and `jitter` come from `[collection]`; its missing `staleness`
/// comes from `[collection]` when written there, else it is four of the class's own intervals.
public struct CollectionSettings: Sendable, Hashable {
    /// One request on a terminal line. Default `5s`.
    public var timeout: Duration
    /// The strategy of meters whose class has no table. Default interval `15m`, jitter `0s`,
    /// staleness four intervals.
    public var standard: CollectionStrategy
    /// Strategies by customer class name.
    public var classes: [String: CollectionStrategy]
    /// How often each meter's clock is read with its registers (and corrected when off,
    /// `[meters] clock_tolerance`). Default `24h`.
    public var clockCheck: Duration = .seconds(86_400)

    /// The default interval (`[collection] interval`).
    public var interval: Duration { standard.interval }

    /// The strategy for a meter of customer class `name` (`standard` for nil or an unlisted class).
    public func strategy(forClass name: String?) -> CollectionStrategy {
        name.flatMap { classes[$0] } ?? standard
    }

    static let keys = ["interval", "timeout", "jitter", "staleness", "clock_check", "classes"]
    static let classKeys = ["interval", "jitter", "staleness"]

    static func read(_ root: Section, _ reader: TableReader) -> CollectionSettings {
        let section = reader.section(root, "collection", known: keys)
        let timeout = reader.duration(section, "timeout", default: .seconds(5))
        let standard = strategy(section, reader, inherited: nil)
        var classes: [String: CollectionStrategy] = [:]
        for (name, table) in reader.namedSections(section, "classes", known: classKeys) {
            classes[name] = strategy(table, reader, inherited: (standard, section.has("staleness")))
        }
        let clockCheck = reader.duration(section, "clock_check", default: .seconds(86_400))
        return CollectionSettings(timeout: timeout, standard: standard, classes: classes, clockCheck: clockCheck)
    }

    private static func strategy(
        _ section: Section, _ reader: TableReader, inherited: (strategy: CollectionStrategy, keepStaleness: Bool)?
    ) -> CollectionStrategy {
        let interval = reader.duration(section, "interval", default: inherited?.strategy.interval ?? .seconds(900))
        let jitter = reader.duration(section, "jitter", default: inherited?.strategy.jitter ?? .zero, allowZero: true)
        let defaultStaleness = inherited.flatMap { $0.keepStaleness ? $0.strategy.staleness : nil } ?? interval * 4
        let staleness = reader.duration(section, "staleness", default: defaultStaleness)
        let (intervalKey, jitterKey, stalenessKey) = (section.key("interval"), section.key("jitter"), section.key("staleness"))
        if reader.isValid(intervalKey, jitterKey), jitter >= interval {
            reader.report(jitterKey, "\"\(jitter.configText)\" is not shorter than interval \"\(interval.configText)\"")
        }
        if reader.isValid(intervalKey, stalenessKey), staleness < interval {
            reader.report(stalenessKey, "\"\(staleness.configText)\" is shorter than interval \"\(interval.configText)\"")
        }
        return CollectionStrategy(interval: interval, jitter: jitter, staleness: staleness)
    }
}
