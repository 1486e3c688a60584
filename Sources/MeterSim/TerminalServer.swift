import DLT645
import DLT645NIO
import NIOCore
import NIOPosix
import Synchronization

/// The TCP side of the terminals: one listener per terminal on consecutive ports.
///
/// Each connection is handled as a half-duplex bus: frames are taken one at a time, answered
/// (after any injected delay), and only then is the next one read.
enum TerminalServer {
    typealias Connection = NIOAsyncChannel<FrameDecoder.Event, ByteBuffer>

    /// A bound terminal port and the connections it has accepted.
    struct Listener: Sendable {
        let server: NIOAsyncChannel<Connection, Never>
        let accepted: AcceptedConnections
        var channel: any Channel { server.channel }

        /// Closes a listener that will not be served (a port block that did not work out).
        func discard() async {
            try? await channel.close()
            for connection in accepted.stop() {
                try? await connection.executeThenClose { _, _ in }
            }
        }
    }

    /// Every connection a listener accepts, from its creation until it is served or closed. NIO
    /// traps ("Deinited NIOAsyncWriter without calling finish()") when an accepted connection is
    /// dropped unfinished, and one was whenever a client connected as the simulator stopped: the
    /// listener's stream, ended by the cancellation or closed, let go of it. Kept here, it is
    /// closed at the stop instead; one still arriving after that is refused before it exists.
    final class AcceptedConnections: Sendable {
        private let state = Mutex<(open: Bool, waiting: [ObjectIdentifier: Connection])>((true, [:]))

        struct Stopped: Error {}

        /// Wraps a new connection (on its event loop) and keeps it until `take` or `stop`.
        func admit(_ channel: any Channel) throws -> Connection {
            try state.withLock { s in
                guard s.open else { throw Stopped() }
                let connection = try Connection(wrappingChannelSynchronously: channel)
                s.waiting[ObjectIdentifier(channel)] = connection
                return connection
            }
        }

        /// True when the caller now owns `connection` (and must run it to its close).
        func take(_ connection: Connection) -> Bool {
            state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(connection.channel)) != nil }
        }

        /// Admits no more; the connections nobody took, for the caller to close.
        func stop() -> [Connection] {
            state.withLock { s in
                s.open = false
                defer { s.waiting = [:] }
                return Array(s.waiting.values)
            }
        }
    }

    /// Binds one listener per terminal on `host`, ports `basePort + i`. With `basePort` 0 it
    /// picks a block of consecutive free ports: the first port from the system, the rest after it,
    /// retrying a few times when one of them is taken.
    static func bind(host: String, basePort: Int, count: Int, group: any EventLoopGroup) async throws -> [Listener] {
        if basePort != 0 { return try await bindBlock(host: host, first: basePort, count: count, group: group) }
        var lastError: (any Error)?
        for _ in 0..<20 {
            let first = try await bindOne(host: host, port: 0, group: group)
            guard let port = first.channel.localAddress?.port else { continue }
            guard port + count - 1 <= 65535 else {
                await first.discard()
                continue
            }
            do {
                let rest = try await bindBlock(host: host, first: port + 1, count: count - 1, group: group)
                return [first] + rest
            } catch {
                lastError = error
                await first.discard()
            }
        }
        throw lastError ?? SimulatorError.noFreePortBlock(count)
    }

    private static func bindBlock(host: String, first: Int, count: Int, group: any EventLoopGroup) async throws -> [Listener] {
        var bound: [Listener] = []
        do {
            for i in 0..<count { bound.append(try await bindOne(host: host, port: first + i, group: group)) }
        } catch {
            for listener in bound { await listener.discard() }
            throw error
        }
        return bound
    }

    private static func bindOne(host: String, port: Int, group: any EventLoopGroup) async throws -> Listener {
        let accepted = AcceptedConnections()
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DLT645FrameDecoder()))
                    return try accepted.admit(channel)
                }
            }
        return Listener(server: server, accepted: accepted)
    }

    /// Serves `listener` as terminal `index` until cancelled; then closes every connection it
    /// accepted, served or not.
    static func serve(_ listener: Listener, terminal index: Int, fleet: MeterFleet) async throws {
        var failure: (any Error)?
        do {
            try await listener.server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    // Connections numbered from 1 per terminal: the control log tells senders apart.
                    var number = 0
                    for try await connection in connections where listener.accepted.take(connection) {
                        number += 1
                        group.addTask { [number] in
                            // One bad peer must not stop the terminal.
                            try? await serveConnection(connection, number: number, terminal: index, fleet: fleet)
                        }
                    }
                }
            }
        } catch {
            failure = error
        }
        await listener.discard()
        if let failure { throw failure }
    }

    private static func serveConnection(_ connection: Connection, number: Int, terminal index: Int, fleet: MeterFleet) async throws {
        try await connection.executeThenClose { inbound, outbound in
            for try await event in inbound {
                guard case .frame(let frame) = event else { continue }
                let answer = fleet.respond(to: frame, onTerminal: index, connection: number)
                guard let bytes = answer.bytes else { continue }
                if answer.delayMilliseconds > 0 {
                    try await Task.sleep(for: .milliseconds(answer.delayMilliseconds))
                }
                try await outbound.write(ByteBuffer(bytes: bytes))
            }
        }
    }
}

/// Failures of starting or running the simulator.
public enum SimulatorError: Error, CustomStringConvertible, Sendable {
    /// No block of that many consecutive free ports was found.
    case noFreePortBlock(Int)
    /// The admin server did not report its address.
    case adminNotStarted

    public var description: String {
        switch self {
        case .noFreePortBlock(let n): "found no block of \(n) consecutive free ports"
        case .adminNotStarted: "the admin HTTP server did not start"
        }
    }
}
