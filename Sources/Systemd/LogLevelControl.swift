import Logging
import Synchronization

/// The daemon's log level, changeable while it runs (SIGHUP reload): every handler made by
/// `LoggingSetup` reads it on each call instead of keeping its own copy.
public final class LogLevelControl: Sendable {
    private let level: Mutex<Logger.Level>

    public init(_ level: Logger.Level) { self.level = Mutex(level) }

    public var current: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}

/// Wraps a handler so that its level is the shared, changeable one.
struct LevelControlledHandler: LogHandler {
    var inner: any LogHandler
    let control: LogLevelControl

    var logLevel: Logger.Level {
        get { control.current }
        // A per-logger override would hide reloads; the shared level is the only one.
        set {}
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
    }
}
