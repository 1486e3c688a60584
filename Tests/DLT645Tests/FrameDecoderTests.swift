import Testing
@testable import DLT645

@Suite("Streaming frame decoder")
struct FrameDecoderTests {
    let read = bytes("68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16")
    let reply = bytes("68 01 00 00 00 00 00 68 91 08 33 33 34 33 89 67 45 33 9F 16")

    @Test func skipsPreambleAndNoise() {
        let events = decodeAll([0xFE, 0xFE, 0x00, 0x13, 0x68, 0x99] + read + [0x42] + reply)
        #expect(frames(events).count == 2)
        #expect(events.allSatisfy { if case .frame = $0 { true } else { false } })
    }

    @Test func buffersPartialInput() {
        var d = FrameDecoder()
        d.append(read.prefix(5))
        #expect(d.next() == nil)
        d.append(read.dropFirst(5).prefix(6))
        #expect(d.next() == nil)
        d.append(read.dropFirst(11))
        guard case .frame(let f) = d.next() else { Issue.record("no frame"); return }
        #expect(f.control.function == .read)
        #expect(d.bufferedCount == 0)
    }

    @Test func badChecksumResyncs() {
        var broken = read
        broken[14] ^= 0xFF
        let events = decodeAll(broken + reply)
        #expect(events.first == .error(.badChecksum(expected: 0xB3, found: 0x4C)))
        #expect(frames(events).count == 1)
        #expect(frames(events).first?.control.rawValue == 0x91)
    }

    @Test func missingEndByteResyncs() {
        var broken = read
        broken[15] = 0x17
        let events = decodeAll(broken + reply)
        #expect(events.contains(.error(.missingEndByte(found: 0x17))))
        #expect(frames(events).count == 1)
    }

    @Test func refusesOverLongFrames() {
        // L = 0xC9 (201) exceeds the standard's 200.
        let header = bytes("68 01 00 00 00 00 00 68 91 C9")
        let events = decodeAll(header + [UInt8](repeating: 0x33, count: 5) + reply)
        #expect(events.contains(.error(.frameTooLong(length: 201, limit: 200))))
        #expect(frames(events).count == 1)
        // The same length passes with the limit raised to what one length byte allows.
        var long = Frame(address: meter1, control: .reply(.read), data: [UInt8](repeating: 7, count: 201))
        #expect(frames(decodeAll(try! long.encode(), maxDataLength: 255)) == [long])
        long.data = [UInt8](repeating: 7, count: 256)
        #expect(throws: DLT645Error.dataTooLong(length: 256, limit: 255)) { try long.encode() }
    }

    @Test func falseStartDoesNotHideALaterFrame() {
        // Noise that looks like a header announcing 200 bytes, then a real frame and silence:
        // the real frame must come out without waiting for 200 more bytes.
        let fake = bytes("68 01 00 00 00 00 00 68 91 C8")
        var d = FrameDecoder()
        d.append(fake + read)
        #expect(frames(d.drain()) == frames(decodeAll(read)))
    }

    @Test func waitsWithoutErrorWhileAFrameIsIncomplete() {
        var d = FrameDecoder()
        d.append(reply.prefix(reply.count - 1))
        #expect(d.drain().isEmpty)
        d.append([0x16])
        #expect(frames(d.drain()).count == 1)
    }
}
