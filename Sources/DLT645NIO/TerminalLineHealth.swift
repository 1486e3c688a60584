/// A snapshot of a terminal line's health, for status pages and metrics.
public struct TerminalLineHealth: Hashable, Sendable {
    /// Whether the TCP connection to the terminal is up.
    public var isConnected: Bool
    /// Time elapsed on the line's clock since a meter last answered (normally or abnormally);
    /// nil if none has yet.
    public var sinceLastSuccess: Duration?
    /// Timeouts, lost connections and failed connection attempts since a meter last answered.
    public var consecutiveFailures: Int
    /// Requests waiting in the two lanes (not counting the one on the wire).
    public var queued: Int
    /// Running totals since the line was created.
    public var counters: Counters
    /// Time elapsed on the line's clock since the connection last came up or went down; nil
    /// before the first connection attempt ended.
    public var sinceConnectionChange: Duration?
    /// Round trips of the requests answered since the line was created.
    public var roundTrips: RoundTripHistogram

    /// Running totals of a line, each only ever growing.
    public struct Counters: Hashable, Sendable {
        /// Requests written to the terminal.
        public var sent = 0
        /// Replies matched to a request (normal, abnormal or malformed).
        public var replies = 0
        /// Requests whose reply did not come in time.
        public var timeouts = 0
        /// Well-formed frames that answered nothing in flight: other addresses, late replies to
        /// timed-out requests, echoes of our own requests.
        public var ignoredFrames = 0
        /// Candidate frames the decoder dropped (bad checksum, missing end byte, too long).
        public var decodeErrors = 0
        /// Successful TCP connections (the first one included).
        public var connects = 0
        /// Failed TCP connection attempts.
        public var connectFailures = 0
        /// Established connections that dropped.
        public var connectionsLost = 0

        public init() {}
    }

    public init(isConnected: Bool, sinceLastSuccess: Duration?, consecutiveFailures: Int, queued: Int, counters: Counters,
                sinceConnectionChange: Duration? = nil, roundTrips: RoundTripHistogram = RoundTripHistogram()) {
        self.sinceConnectionChange = sinceConnectionChange
        self.roundTrips = roundTrips
        self.isConnected = isConnected
        self.sinceLastSuccess = sinceLastSuccess
        self.consecutiveFailures = consecutiveFailures
        self.queued = queued
        self.counters = counters
    }
}
