#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon's log goes: the journal natively, or stderr.
public enum LogDestination: String, Sendable, CaseIterable {
    case journald
    case stderr

    /// `auto`: journald when stderr is the journal stream systemd set up for us
    /// (`$JOURNAL_STREAM` = `dev:ino` of fd 2, as systemd.exec(5) recommends), else stderr.
    public static func automatic(journalStream: String?) -> LogDestination {
        guard let journalStream else { return .stderr }
        let parts = journalStream.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return .stderr }
        var st = stat()
        guard fstat(2, &st) == 0 else { return .stderr }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino ? .journald : .stderr
    }
}
