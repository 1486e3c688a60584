import DLT645
import NIOCore
import NIOPosix
import Synchronization

/// A tiny DL/T 645 master for tests: sends frames, collects raw reply bytes, decodes them.
final class TestClient: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    private let channel: any Channel
    private let collector: Collector
    private let decoder = Mutex(FrameDecoder())

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(host: String = "127.0.0.1", port: Int) async throws -> TestClient {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: host, port: port).get()
        return TestClient(channel: channel, collector: collector)
    }

    func send(_ frame: Frame) async throws {
        var bytes: [UInt8] = [0xFE, 0xFE, 0xFE, 0xFE]
        frame.encode(into: &bytes)
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The next decoded event, or nil when nothing arrives within `timeout`.
    func nextEvent(timeout: Duration = .seconds(5)) async -> FrameDecoder.Event? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let bytes = collector.received.withLock { received in
                defer { received.removeAll() }
                return received
            }
            if let event = decoder.withLock({ decoder -> FrameDecoder.Event? in
                decoder.append(bytes)
                return decoder.next()
            }) {
                return event
            }
            if clock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends `request` and returns the decoded reply, or nil when none arrives within `timeout`.
    func exchange(_ request: Request, timeout: Duration = .seconds(5)) async throws -> Reply? {
        try await send(request.frame)
        guard case .frame(let frame)? = await nextEvent(timeout: timeout) else { return nil }
        return try Reply(frame: frame)
    }

    func close() async {
        try? await channel.close()
    }
}

/// A raw TCP exchange: write bytes, read until the peer closes.
final class RawTCP: Sendable {
    private final class UntilClose: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])
        let closed: EventLoopPromise<Void>

        init(closed: EventLoopPromise<Void>) { self.closed = closed }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.succeed()
            context.fireChannelInactive()
        }
    }

    private let channel: any Channel
    private let handler: UntilClose

    private init(channel: any Channel, handler: UntilClose) {
        self.channel = channel
        self.handler = handler
    }

    static func connect(host: String, port: Int) async throws -> RawTCP {
        let group = MultiThreadedEventLoopGroup.singleton
        let handler = UntilClose(closed: group.next().makePromise())
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(host: host, port: port).get()
        return RawTCP(channel: channel, handler: handler)
    }

    func roundTrip(_ bytes: [UInt8]) async throws -> [UInt8] {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        try await handler.closed.futureResult.get()
        return handler.received.withLock { $0 }
    }

    func close() async {
        try? await channel.close()
        handler.closed.succeed()
    }
}
