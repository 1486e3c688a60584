import DLT645
import NIOCore

/// NIO inbound decoder: bytes in, `FrameDecoder.Event`s out (frames, and the errors of dropped
/// candidates so that a line can count them). Wraps the pure `FrameDecoder`.
public struct DLT645FrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = FrameDecoder.Event

    private var decoder: FrameDecoder

    public init(maxDataLength: Int = 200) {
        decoder = FrameDecoder(maxDataLength: maxDataLength)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if buffer.readableBytes > 0 {
            buffer.withUnsafeReadableBytes { decoder.append($0) }
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        // Everything buffered is consumed here, so hand on every event now: NIO does not call
        // `decode` again on an empty buffer.
        while let event = decoder.next() {
            context.fireChannelRead(wrapInboundOut(event))
        }
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// NIO outbound encoder: a `Frame` out as its wire bytes, with `preamble` FEH wake-up bytes.
public struct DLT645FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = Frame

    public let preamble: Int

    public init(preamble: Int = 0) { self.preamble = preamble }

    public func encode(data: Frame, out: inout ByteBuffer) throws {
        out.writeBytes(try data.encode(preamble: preamble))
    }
}
