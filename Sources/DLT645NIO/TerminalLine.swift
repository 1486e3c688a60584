import DLT645
import NIOCore
import NIOPosix

/// The client for one terminal: a TCP peer that forwards DL/T 645 frames to an RS-485 bus of
/// meters.
///
/// - One TCP connection, opened eagerly when `run()` starts and re-opened with exponential
///   back-off (`Backoff`, timed by the injected clock) whenever it drops or cannot be opened.
/// - One request on the wire at a time (the bus is half-duplex). Waiting requests sit in two
///   lanes: every queued `.control` request goes before every queued `.read`; first in, first out
///   within a lane; the request on the wire is never pre-empted.
/// - Replies are matched by address, function code and (for reads) data identifier. Frames for
///   other addresses, late replies to timed-out requests, echoes and undecodable bytes are ignored
///   and counted in `health`.
///
/// Lifecycle, ServiceLifecycle-style: `run()` does the work and returns when its task is cancelled
/// or `shutdown()` is called; either way every request still waiting fails with `.shutdown` and
/// the connection is closed. Requests sent before `run()` starts wait for it.
///
/// ```swift
/// let line = TerminalLine(configuration: .init(host: "10.0.0.7", port: 9001))
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await line.run() }
///     let reply = try await line.send(.read(meter, .forwardActiveTotal))
///     …
///     group.cancelAll()
/// }
/// ```
public final class TerminalLine: Sendable {
    public let configuration: TerminalLineConfiguration
    private let core: LineCore
    private let group: any EventLoopGroup

    /// - Parameters:
    ///   - eventLoopGroup: where the connection's I/O runs.
    ///   - clock: times request timeouts, the quiet period after a timeout and the back-off
    ///     delays; inject a test clock to step through them.
    ///   - random: values in 0..<1 for the back-off jitter.
    public init(
        configuration: TerminalLineConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        clock: any Clock<Duration> = ContinuousClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        let machine = LineStateMachine(
            backoff: configuration.backoff,
            quietPeriod: configuration.quietPeriodAfterTimeout,
            random: random
        )
        core = LineCore(machine: machine, clock: LineClock(clock))
    }

    /// Keeps the line connected and its timers running until the calling task is cancelled or
    /// `shutdown()` is called. Call it once; later calls return at once.
    public func run() async {
        let configuration = configuration
        let group = group
        let core = core
        await core.run { generation in
            try await configuration.connect(group: group, core: core, generation: generation)
        }
    }

    /// Fails every waiting request with `.shutdown`, closes the connection and makes `run()`
    /// return. Later `send`s fail at once with `.shutdown`.
    public func shutdown() {
        core.shutdown()
    }

    /// Sends `request` and waits for its reply.
    ///
    /// - Parameters:
    ///   - priority: the lane; by default `LinePriority(for: request)` (reads `.read`, the rest
    ///     `.control`).
    ///   - timeout: overrides `configuration.requestTimeout`: how long to wait for the reply once
    ///     the request is written, and for the line to come back while it is down.
    /// - Returns: the normal reply. A broadcast (`request.expectsReply == false`) gets no reply:
    ///   it completes once written, with `.acknowledged(.broadcast, request.function)`.
    /// - Throws: `.abnormalReply` when the meter refuses, and the other `TerminalLineError`s.
    ///   Cancelling the calling task takes the request out of the queue and throws `.cancelled`.
    public func send(
        _ request: Request,
        priority: LinePriority? = nil,
        timeout: Duration? = nil
    ) async throws(TerminalLineError) -> Reply {
        let frame = request.frame
        guard frame.data.count <= Frame.maxDataLength else {
            throw .invalidRequest(.dataTooLong(length: frame.data.count, limit: Frame.maxDataLength))
        }
        let outcome = await core.send(
            request,
            priority: priority ?? LinePriority(for: request),
            timeout: timeout ?? configuration.requestTimeout
        )
        return try outcome.get()
    }

    /// The line's health now.
    public var health: TerminalLineHealth { core.health() }
}
