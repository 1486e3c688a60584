import DLT645

/// The two queues of a terminal line. A queued `.control` request goes ahead of every queued
/// `.read`; within a lane requests go first in, first out. The request on the wire is never
/// pre-empted: the RS-485 bus behind the terminal is half-duplex.
public enum LinePriority: Hashable, Sendable, CaseIterable {
    /// Remote control (1CH), writes (14H), broadcasts: a customer waiting for power comes first.
    case control
    /// Readings.
    case read

    /// The lane a request goes to when the caller does not say: reads (11H, 12H, 13H) are
    /// `.read`, everything else `.control`.
    public init(for request: Request) {
        switch request {
        case .read, .readFollowUp, .readAddress: self = .read
        case .write, .remoteControl, .broadcastTime: self = .control
        }
    }
}
