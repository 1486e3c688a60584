#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's file-descriptor limit, and how many API connections it can afford.
///
/// Every API connection, every terminal line and every database file holds a descriptor. When
/// the API took them all (1,100 idle connections against systemd's default soft limit of 1,024),
/// the terminal lines could not reconnect ("Too many open files") and payments timed out. So the
/// API's cap is what the limit leaves after a fixed reserve and one descriptor per terminal.
public struct DescriptorBudget: Sendable, Equatable {
    /// Descriptors kept back besides the terminals: an idle daemon holds 30 (measured: stdio,
    /// the event loops' epoll, eventfd and timerfd, the SQLite pool's database and WAL files,
    /// the journal, the listening socket); API sockets in transit above the cap take up to
    /// ``APIConnectionGate/transitSlack`` (16); the rest is headroom for what opens for a moment
    /// (a reader connection of the pool, the tokens file on reload, a webhook's connection).
    public static let fixedReserve = 64
    /// The API always gets at least this many, even when the limit is far too low for the
    /// terminals (the start-up log says so): without them payments could not reach the station.
    public static let minimumCap = 4

    /// The soft limit in force (after raising it).
    public var softLimit: Int
    /// The hard limit: the most the soft limit can be raised to without privileges.
    public var hardLimit: Int
    /// The soft limit before ``raisingSoftLimit()`` raised it; nil when it was left as it was.
    public var raisedFrom: Int?
    /// Why the soft limit could not be raised, if it could not.
    public var raiseFailure: String?

    public init(softLimit: Int, hardLimit: Int, raisedFrom: Int? = nil, raiseFailure: String? = nil) {
        self.softLimit = softLimit
        self.hardLimit = hardLimit
        self.raisedFrom = raisedFrom
        self.raiseFailure = raiseFailure
    }

    /// The API connection cap: `configured` (`[api] max_connections`), lowered to what the limit
    /// leaves after the reserve and `terminals` lines, and at least ``minimumCap``.
    public func apiCap(configured: Int, terminals: Int) -> Int {
        max(Self.minimumCap, min(configured, left(terminals: terminals)))
    }

    /// What the soft limit leaves for API connections after the reserve and `terminals` lines.
    public func left(terminals: Int) -> Int {
        softLimit - Self.fixedReserve - max(0, terminals)
    }

    /// Reads `RLIMIT_NOFILE` and raises the soft limit to the hard one, as Go's runtime does at
    /// start-up: systemd's default soft limit (1,024) exists for programs still using select(),
    /// which this daemon does not (NIO uses epoll). The unit's `LimitNOFILE=` normally sets both
    /// already; its seccomp filter refuses setrlimit, which is then only reported.
    public static func raisingSoftLimit() -> DescriptorBudget {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else {
            return DescriptorBudget(softLimit: 1024, hardLimit: 1024, raiseFailure: "getrlimit: errno \(errno)")
        }
        // An unlimited hard limit still stops at the kernel's fs.nr_open (1,048,576 by default).
        let target = limit.rlim_max == rlim_t.max ? rlim_t(1_048_576) : limit.rlim_max
        let before = Int(clamping: limit.rlim_cur)
        guard limit.rlim_cur < target else { return DescriptorBudget(softLimit: before, hardLimit: Int(clamping: target)) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(resource, &raised) == 0 else {
            return DescriptorBudget(softLimit: before, hardLimit: Int(clamping: target), raiseFailure: "setrlimit: errno \(errno)")
        }
        return DescriptorBudget(softLimit: Int(clamping: target), hardLimit: Int(clamping: target), raisedFrom: before)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
