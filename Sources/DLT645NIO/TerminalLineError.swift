import DLT645

/// Everything that can go wrong with one request on a terminal line, each case naming the cause.
public enum TerminalLineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No answer within the request's timeout (the meter is silent, or the line stayed down).
    case timeout(Duration)
    /// The TCP connection dropped while the request was on the wire or waiting for the line to
    /// come back.
    case connectionLost
    /// The line could not (re)connect to its terminal before the request's timeout ran out;
    /// `reason` is the last connection error.
    case cannotConnect(reason: String)
    /// The meter answered with an abnormal reply (D1H, D4H, DCH, …) carrying this error word.
    case abnormalReply(FunctionCode, ErrorWord)
    /// A frame addressed as the answer could not be interpreted as a reply.
    case malformedReply(DLT645Error)
    /// The request cannot be put on the wire (e.g. its data does not fit one frame).
    case invalidRequest(DLT645Error)
    /// The line was shut down before the request completed.
    case shutdown
    /// The caller's task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .timeout(let d): "no reply within \(d)"
        case .connectionLost: "connection to the terminal lost"
        case .cannotConnect(let reason): "cannot connect to the terminal: \(reason)"
        case .abnormalReply(let fn, let err): "abnormal reply to function \(fn): \(err)"
        case .malformedReply(let e): "malformed reply: \(e)"
        case .invalidRequest(let e): "invalid request: \(e)"
        case .shutdown: "terminal line shut down"
        case .cancelled: "request cancelled"
        }
    }
}
