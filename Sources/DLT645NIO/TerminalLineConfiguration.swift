/// How a `TerminalLine` reaches its terminal and paces its requests.
public struct TerminalLineConfiguration: Hashable, Sendable {
    /// The terminal's host name or IP address.
    public var host: String
    /// The terminal's TCP port.
    public var port: Int
    /// Default per-request timeout (`send` may override it). It bounds the wait for the reply once
    /// the request is written, and the wait for the line to come back while it is down. Time spent
    /// queued behind other requests on a working line is not counted: the bus is busy serving
    /// them, and each of those is itself bounded.
    public var requestTimeout: Duration
    /// How long one TCP connection attempt may take.
    public var connectTimeout: Duration
    /// Delays between reconnection attempts.
    public var backoff: Backoff
    /// After a timeout the line stays quiet this long before writing the next request, so that a
    /// late reply to the timed-out request drains (and is ignored) instead of being taken for the
    /// next request's answer. Meters answer within 500 ms (PROTOCOL.md §1); a terminal adds its own
    /// delay [uncertain], hence configurable.
    public var quietPeriodAfterTimeout: Duration
    /// FEH wake-up bytes written ahead of each frame (0...4); masters usually send 4.
    public var preamble: Int
    /// The longest data field accepted in a received frame. The standard caps read replies at 200;
    /// not every meter keeps to it [uncertain, PROTOCOL.md §1].
    public var maxDataLength: Int

    public init(
        host: String,
        port: Int,
        requestTimeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(5),
        backoff: Backoff = Backoff(),
        quietPeriodAfterTimeout: Duration = .milliseconds(500),
        preamble: Int = 4,
        maxDataLength: Int = 200
    ) {
        self.host = host
        self.port = port
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.backoff = backoff
        self.quietPeriodAfterTimeout = quietPeriodAfterTimeout
        self.preamble = preamble
        self.maxDataLength = maxDataLength
    }
}
