import CSystemd
import Logging

/// A swift-log handler that writes native journal entries with `sd_journal_sendv`.
///
/// Every entry carries `MESSAGE=`, `PRIORITY=`, `SYSLOG_IDENTIFIER=`, `CODE_FILE=`, `CODE_LINE=`,
/// `CODE_FUNC=` and one field per metadata key (sanitised: `meter` → `METER=`), so
/// `journalctl -u chargecontrold EVENT=trip METER=000000000001` finds what it asks for.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let identifier: String

    public init(identifier: String, level: Logger.Level = .info) {
        self.identifier = identifier
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            guard let name = JournalFieldName.sanitize(key), !Self.reserved.contains(name) else { continue }
            fields.append("\(name)=\(value)")
        }
        if let error = event.error, merged["error"] == nil {
            fields.append("ERROR=\(error)")
        }
        Self.send(fields)
    }

    /// Fields the handler sets itself; metadata must not duplicate them.
    static let reserved: Set<String> = ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"]

    /// syslog priorities (journald's PRIORITY=) for swift-log levels.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Sends one entry; each `FIELD=value` becomes one iovec into a single contiguous buffer
    /// (values may hold newlines: the native protocol carries them as they are).
    @discardableResult
    static func send(_ fields: [String]) -> Int32 {
        var storage: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = storage.count
            storage.append(contentsOf: field.utf8)
            ranges.append(start..<storage.count)
        }
        return storage.withUnsafeMutableBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return -1 }
            var vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            return sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }
}
