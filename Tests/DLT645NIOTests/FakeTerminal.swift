import DLT645
import DLT645NIO
import NIOCore
import NIOPosix
import Synchronization

/// An in-process terminal on 127.0.0.1 that plays meters: each address has a behaviour mapping
/// a request to steps (wait, reply, send other frames or bytes, hold until a gate opens, close).
/// Addresses without a behaviour stay silent, as real meters do. It records every request, and
/// notes a violation whenever a request arrives while an earlier one is still being answered.
final class FakeTerminal: Sendable {
    enum Step: Sendable {
        case wait(Duration)
        case reply(Reply)
        case frame(Frame)
        case bytes([UInt8])
        case gate(Gate)
        case close

        var answers: Bool {
            switch self {
            case .reply, .frame, .bytes: true
            case .wait, .gate, .close: false
            }
        }
    }

    typealias Behaviour = @Sendable (Request) -> [Step]

    private struct State {
        var behaviours: [MeterAddress: Behaviour] = [:]
        var received: [Request] = []
        var violations: [String] = []
        var connections: [ObjectIdentifier: any Channel] = [:]
        var connectionCount = 0
        var server: (any Channel)?
    }

    private let state = Mutex(State())

    init() {}

    /// Requests received, in order.
    var received: [Request] { state.withLock { $0.received } }
    /// Requests that arrived while an earlier one was still being answered.
    var violations: [String] { state.withLock { $0.violations } }
    /// Connections accepted since the terminal was created.
    var connectionCount: Int { state.withLock { $0.connectionCount } }

    func set(_ address: MeterAddress, _ behaviour: @escaping Behaviour) {
        state.withLock { $0.behaviours[address] = behaviour }
    }

    /// Starts listening; `port` 0 picks a free one. Returns the port.
    @discardableResult
    func start(port: Int = 0) async throws -> Int {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(DLT645FrameDecoder(maxDataLength: 255)),
                        FakeTerminalHandler(terminal: self),
                    ])
                    self.track(channel)
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        state.withLock { $0.server = server }
        return server.localAddress?.port ?? 0
    }

    /// Closes every open connection; the listener stays up.
    func dropConnections() async {
        for channel in state.withLock({ Array($0.connections.values) }) {
            try? await channel.close()
        }
    }

    /// Stops listening and closes every connection.
    func stop() async {
        if let server = state.withLock({ $0.server.take() }) {
            try? await server.close()
        }
        await dropConnections()
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        state.withLock {
            $0.connections[key] = channel
            $0.connectionCount += 1
        }
        channel.closeFuture.whenComplete { _ in
            _ = self.state.withLock { $0.connections.removeValue(forKey: key) }
        }
    }

    fileprivate func steps(for request: Request) -> [Step] {
        state.withLock { s in
            s.received.append(request)
            return s.behaviours[request.address].map { $0(request) } ?? []
        }
    }

    fileprivate func note(_ violation: String) {
        state.withLock { $0.violations.append(violation) }
    }
}

/// Holds a fake meter's answer until the test opens it.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    init() {}

    func open() {
        let waiters = state.withLock { s in
            s.isOpen = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter() }
    }

    func whenOpen(_ body: @escaping @Sendable () -> Void) {
        let openNow = state.withLock { s in
            if !s.isOpen { s.waiters.append(body) }
            return s.isOpen
        }
        if openNow { body() }
    }
}

/// One connection of the fake terminal.
private final class FakeTerminalHandler: ChannelInboundHandler {
    typealias InboundIn = FrameDecoder.Event
    typealias OutboundOut = ByteBuffer

    private let terminal: FakeTerminal
    /// Requests whose answer has not been sent yet.
    private var unanswered = 0

    init(terminal: FakeTerminal) { self.terminal = terminal }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(let frame) = unwrapInboundIn(data) else { return }
        guard let request = try? Request(frame: frame) else {
            terminal.note("not a request: \(frame)")
            return
        }
        if unanswered > 0 { terminal.note("\(request.function) to \(request.address) while \(unanswered) unanswered") }
        let steps = terminal.steps(for: request)
        let answers = steps.contains(where: \.answers)
        if answers { unanswered += 1 }
        run(steps[...], answers: answers, context: context)
    }

    private func run(_ steps: ArraySlice<FakeTerminal.Step>, answers: Bool, context: ChannelHandlerContext) {
        guard let step = steps.first else {
            if answers { unanswered -= 1 }
            return
        }
        let rest = steps.dropFirst()
        switch step {
        case .wait(let duration):
            context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(duration)) {
                self.run(rest, answers: answers, context: context)
            }
        case .gate(let gate):
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            gate.whenOpen {
                loop.execute { bound.value.0.run(rest, answers: answers, context: bound.value.1) }
            }
        case .reply(let reply):
            write(reply.frame, context: context)
            run(rest, answers: answers, context: context)
        case .frame(let frame):
            write(frame, context: context)
            run(rest, answers: answers, context: context)
        case .bytes(let bytes):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
            run(rest, answers: answers, context: context)
        case .close:
            context.close(promise: nil)
        }
    }

    private func write(_ frame: Frame, context: ChannelHandlerContext) {
        guard let bytes = try? frame.encode(preamble: 2) else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
    }
}
