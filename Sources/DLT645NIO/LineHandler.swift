import DLT645
import NIOCore
import NIOPosix

/// The last handler of a line's pipeline: hands decoded events and the connection's end to the
/// line. Tagged with the connection's generation so that events of an old connection cannot be
/// taken for the current one's.
final class LineHandler: ChannelInboundHandler {
    typealias InboundIn = FrameDecoder.Event

    private let core: LineCore
    private let generation: Int

    init(core: LineCore, generation: Int) {
        self.core = core
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data), generation: generation)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.connectionLost(generation: generation)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A socket error ends the connection; channelInactive then reports the loss.
        context.close(promise: nil)
    }
}

extension TerminalLineConfiguration {
    /// Opens connection `generation` to the terminal with the line's pipeline:
    /// frame decoder, frame encoder (with the configured preamble), `LineHandler`.
    func connect(group: any EventLoopGroup, core: LineCore, generation: Int) async throws -> any Channel {
        let maxDataLength = maxDataLength
        let preamble = preamble
        return try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
            // Keep-alive notices a terminal that vanished without closing (power cut, NAT expiry).
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(DLT645FrameDecoder(maxDataLength: maxDataLength)),
                        MessageToByteHandler(DLT645FrameEncoder(preamble: preamble)),
                        LineHandler(core: core, generation: generation),
                    ])
                }
            }
            .connect(host: host, port: port)
            .get()
    }
}
