/// `[retention]`: how long old readings and delivered notifications are kept (README "Retention").
///
/// ```toml
/// [retention]
/// readings = "400d"   # "off" keeps every reading
/// outbox = "30d"      # delivered notifications; undelivered ones are always kept
/// interval = "10m"    # how often retention runs
/// batch = 50          # rows per transaction
/// ```
public struct RetentionSettings: Sendable, Hashable {
    /// Readings collected longer ago than this are deleted (but an account's baseline and the
    /// readings review items name); nil (`"off"`): kept for ever. Default 400 days.
    public var readings: Duration?
    /// Outbox rows delivered longer ago than this are deleted; nil (`"off"`): kept. Default 30 days.
    public var outbox: Duration?
    /// The pause between two runs. Default 10 minutes.
    public var interval: Duration
    /// Rows deleted per transaction, 1...10,000: one transaction holds the writer for about
    /// this many deletes, so a payment waits behind one batch at most. Default 50: with 1,000 the
    /// reconnection p99 went from 51–60 ms to 386–583 ms while retention kept up with a flat-out
    /// collection; with 50, 59–76 ms (README "Retention").
    public var batch: Int

    /// Statements show six months by default, and a month's start reading can be a month older:
    /// readings kept less than this leave old statements without their register readings (allowed,
    /// for tests and small hosts; `isShorterThanStatements` tells the daemon to warn).
    public static let statementHorizon = Duration.seconds(200 * 86_400)

    public init(readings: Duration? = .seconds(400 * 86_400), outbox: Duration? = .seconds(30 * 86_400),
                interval: Duration = .seconds(600), batch: Int = 50) {
        self.readings = readings
        self.outbox = outbox
        self.interval = interval
        self.batch = batch
    }

    /// Readings are kept for less than the statements look back.
    public var isShorterThanStatements: Bool { readings.map { $0 < Self.statementHorizon } ?? false }

    static let keys = ["readings", "outbox", "interval", "batch"]

    static func read(_ root: Section, _ reader: TableReader) -> RetentionSettings {
        let section = reader.section(root, "retention", known: keys)
        let fallback = RetentionSettings()
        let batch = reader.integer(section, "batch", default: fallback.batch, minimum: 1)
        if batch > 10_000 {
            reader.report(section.key("batch"), "\(batch) is too large: one transaction would hold the writer too long; want at most 10000")
        }
        return RetentionSettings(
            readings: keep(section, "readings", default: fallback.readings, reader),
            outbox: keep(section, "outbox", default: fallback.outbox, reader),
            interval: reader.duration(section, "interval", default: fallback.interval),
            batch: min(batch, 10_000))
    }

    /// A keeping period: a duration longer than zero, or `"off"` (nil: keep everything).
    private static func keep(_ section: Section, _ name: String, default fallback: Duration?, _ reader: TableReader) -> Duration? {
        reader.value(section, name, default: fallback, example: fallback?.configText ?? "off") {
            (text: String) throws(InvalidValue) -> Duration? in
            if text == "off" { return nil }
            let duration = try Duration(configText: text)
            guard duration > .zero else { throw InvalidValue("\"\(text)\" must be longer than zero; \"off\" keeps everything") }
            return duration
        }
    }
}
