import ServiceLifecycle
import DLT645NIO
import NIOCore
import NIOPosix
import Store
import Synchronization

/// One `TerminalLine` per terminal, kept in step with the terminals table and run together.
///
/// The collector and the dispatcher share these lines, so a terminal's reads and control
/// commands queue on one connection, control first (the bus behind a terminal is half-duplex).
public final class TerminalLines: Sendable {
    private struct State {
        var lines: [String: TerminalLine] = [:]
        var started: Set<ObjectIdentifier> = []
    }

    private let state = Mutex(State())
    private let newLines: AsyncStream<TerminalLine>
    private let newLinesContinuation: AsyncStream<TerminalLine>.Continuation
    private let makeConfiguration: @Sendable (TerminalRecord) -> TerminalLineConfiguration
    private let eventLoopGroup: any EventLoopGroup
    /// The lines' clock: what waits on the lines (an on-demand read's bound) is timed on it too.
    public let clock: any Clock<Duration>

    /// `configuration` turns a terminal into its line's settings (timeouts, back-off); `clock`
    /// times every line's timeouts, quiet periods and back-off (a test clock makes them fire only
    /// when a test says so).
    public init(eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                clock: any Clock<Duration> = ContinuousClock(),
                configuration: @escaping @Sendable (TerminalRecord) -> TerminalLineConfiguration) {
        self.eventLoopGroup = eventLoopGroup
        self.clock = clock
        self.makeConfiguration = configuration
        (newLines, newLinesContinuation) = AsyncStream.makeStream(of: TerminalLine.self)
    }

    /// The line to a terminal, if it is known.
    public func line(for terminalID: String) -> TerminalLine? {
        state.withLock { $0.lines[terminalID] }
    }

    /// Every terminal's line health, for status, stats and metrics.
    public var health: [String: TerminalLineHealth] {
        state.withLock { $0.lines.mapValues(\.health) }
    }

    /// Brings the lines in step with `terminals`: new terminals get a line, a terminal whose
    /// address changed gets a new one (the old one is shut down, failing what it still holds so
    /// callers retry on the new line), removed terminals' lines are shut down.
    public func update(_ terminals: [TerminalRecord]) {
        let (added, retired) = state.withLock { s -> ([TerminalLine], [TerminalLine]) in
            var added: [TerminalLine] = []
            var retired: [TerminalLine] = []
            var keep: Set<String> = []
            for t in terminals {
                keep.insert(t.id)
                let wanted = makeConfiguration(t)
                if let existing = s.lines[t.id], existing.configuration.host == wanted.host, existing.configuration.port == wanted.port {
                    continue
                }
                if let old = s.lines[t.id] { retired.append(old) }
                let line = TerminalLine(configuration: wanted, eventLoopGroup: eventLoopGroup, clock: clock)
                s.lines[t.id] = line
                added.append(line)
            }
            for (id, line) in s.lines where !keep.contains(id) {
                retired.append(line)
                s.lines.removeValue(forKey: id)
            }
            return (added, retired)
        }
        for line in retired { line.shutdown() }
        for line in added { newLinesContinuation.yield(line) }
    }

    /// Runs every line, including those added later, until cancelled; then shuts them down.
    public func run() async {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await line in newLines {
                    group.addTask { await line.run() }
                }
            }
        } onGracefulShutdown: {
            // Last to stop in the service group: the dispatcher has finished with the lines.
            self.shutdown()
        }
    }

    /// Stops every line and ends `run()`.
    public func shutdown() {
        newLinesContinuation.finish()
        let lines = state.withLock { Array($0.lines.values) }
        for line in lines { line.shutdown() }
    }
}
