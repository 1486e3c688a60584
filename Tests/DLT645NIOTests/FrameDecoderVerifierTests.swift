import DLT645
import DLT645NIO
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

/// The NIO decoder gives the same events however the bytes are cut up or run together.
@Suite struct FrameDecoderVerifierTests {
    static let frames: [Frame] = [
        Request.read(Meters.one, Items.total).frame,
        Reply.data(Meters.two, Items.remaining, value: [0x00, 0x50, 0x01, 0x00], followUp: false).frame,
        Reply.abnormal(Meters.three, .remoteControl, ErrorWord(0x04)).frame,
        Reply.abnormal(Meters.one, .remoteControl, ErrorWord(esam: 0x0020)).frame,
        Reply.acknowledged(Meters.two, .write).frame,
        Request.readAddress.frame,
    ]

    static func bytes(_ frame: Frame, preamble: Int) -> [UInt8] {
        (try? frame.encode(preamble: preamble)) ?? []
    }

    @Test func verifierOverFramesWithAndWithoutPreambles() throws {
        let pairs = Self.frames.enumerated().map { i, frame in
            (ByteBuffer(bytes: Self.bytes(frame, preamble: i % 5)), [FrameDecoder.Event.frame(frame)])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { DLT645FrameDecoder() }
    }

    /// Every cut of the whole stream into two, and into three, pieces.
    @Test func everySplitOfAConcatenation() throws {
        let stream = Self.frames.enumerated().flatMap { i, frame in Self.bytes(frame, preamble: 4 - i % 5) }
        let expected = Self.frames.map(FrameDecoder.Event.frame)
        for i in 0...stream.count {
            #expect(try decode([Array(stream[..<i]), Array(stream[i...])]) == expected, "cut at \(i)")
        }
        // Three pieces over a shorter stream keep the test quick.
        let short = Array(stream.prefix(Self.bytes(Self.frames[0], preamble: 4).count + Self.bytes(Self.frames[1], preamble: 3).count))
        for i in 0...short.count {
            for j in i...short.count {
                let pieces = [Array(short[..<i]), Array(short[i..<j]), Array(short[j...])]
                #expect(try decode(pieces) == Array(expected.prefix(2)), "cuts at \(i), \(j)")
            }
        }
    }

    /// A corrupted frame between good ones is one error event wherever the stream is cut.
    @Test func corruptFrameBetweenGoodOnesIsOneErrorAtEveryCut() throws {
        var bad = Self.bytes(Self.frames[1], preamble: 0)
        bad[bad.count - 2] &+= 1
        let stream = Self.bytes(Self.frames[0], preamble: 4) + bad + Self.bytes(Self.frames[2], preamble: 4)
        let whole = try decode([stream])
        #expect(whole.first == .frame(Self.frames[0]))
        #expect(whole.last == .frame(Self.frames[2]))
        #expect(whole.contains { if case .error(.badChecksum) = $0 { true } else { false } })
        for i in 0...stream.count {
            #expect(try decode([Array(stream[..<i]), Array(stream[i...])]) == whole, "cut at \(i)")
        }
    }

    @Test func encoderWritesThePreamble() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(DLT645FrameEncoder(preamble: 4)))
        try channel.writeOutbound(Self.frames[0])
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(out.readableBytesView) == Self.bytes(Self.frames[0], preamble: 4))
        _ = try channel.finish()
    }

    private func decode(_ pieces: [[UInt8]]) throws -> [FrameDecoder.Event] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(DLT645FrameDecoder()))
        for piece in pieces {
            try channel.writeInbound(ByteBuffer(bytes: piece))
        }
        var events: [FrameDecoder.Event] = []
        while let event = try channel.readInbound(as: FrameDecoder.Event.self) {
            events.append(event)
        }
        _ = try channel.finish()
        return events
    }
}
