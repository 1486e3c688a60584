import DLT645
import DLT645NIO
import NIOCore
import NIOPosix

/// The TCP side of the terminals: one listener per terminal on consecutive ports.
///
/// Each connection is handled as a half-duplex bus: frames are taken one at a time, answered
/// (after any injected delay), and only then is the next one read.
enum TerminalServer {
    typealias Connection = NIOAsyncChannel<FrameDecoder.Event, ByteBuffer>
    typealias Listener = NIOAsyncChannel<Connection, Never>

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
                try? await first.channel.close()
                continue
            }
            do {
                let rest = try await bindBlock(host: host, first: port + 1, count: count - 1, group: group)
                return [first] + rest
            } catch {
                lastError = error
                try? await first.channel.close()
            }
        }
        throw lastError ?? SimulatorError.noFreePortBlock(count)
    }

    private static func bindBlock(host: String, first: Int, count: Int, group: any EventLoopGroup) async throws -> [Listener] {
        var bound: [Listener] = []
        do {
            for i in 0..<count { bound.append(try await bindOne(host: host, port: first + i, group: group)) }
        } catch {
            for listener in bound { try? await listener.channel.close() }
            throw error
        }
        return bound
    }

    private static func bindOne(host: String, port: Int, group: any EventLoopGroup) async throws -> Listener {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DLT645FrameDecoder()))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves `listener` as terminal `index` until cancelled.
    static func serve(_ listener: Listener, terminal index: Int, fleet: MeterFleet) async throws {
        try await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        // One bad peer must not stop the terminal.
                        try? await serveConnection(connection, terminal: index, fleet: fleet)
                    }
                }
            }
        }
    }

    private static func serveConnection(_ connection: Connection, terminal index: Int, fleet: MeterFleet) async throws {
        try await connection.executeThenClose { inbound, outbound in
            for try await event in inbound {
                guard case .frame(let frame) = event else { continue }
                let answer = fleet.respond(to: frame, onTerminal: index)
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
