import DLT645

/// How a line decides that a received frame answers the request on the wire.
///
/// Matching happens on the raw frame first (a meter-to-master frame, same function code, an
/// address the request names), so that a frame that *is* the answer but cannot be interpreted
/// fails the request as malformed instead of leaving it to time out; `Reply.answers` then checks
/// the data identifier too.
enum ReplyMatching {
    /// Whether `frame` is addressed as the reply to `request` (direction, function, address).
    static func isAddressed(_ frame: Frame, to request: Request) -> Bool {
        // Terminals that echo the bus hand our own request back: not a reply.
        guard frame.control.isReply, frame.control.function == request.function else { return false }
        if case .readAddress = request { return true }
        return request.address.matches(frame.address)
    }
}
