/// A streaming frame decoder: feed it bytes as they arrive, take frames and errors out.
///
/// It buffers partial input, skips FE preambles and noise, resyncs one byte further on after a
/// bad checksum or end byte, and refuses frames longer than `maxDataLength`. Work per call is
/// bounded by the input, and the buffer never holds more than one maximal frame plus the input of
/// the last `append`: it cannot crash, hang or grow without bound on any input.
public struct FrameDecoder: Sendable {
    /// What one step of decoding produced.
    public enum Event: Hashable, Sendable {
        case frame(Frame)
        /// A candidate frame that was dropped; decoding goes on one byte further.
        case error(DLT645Error)
    }

    /// The largest data length accepted. The standard caps read replies at 200 and writes at 50,
    /// but not every meter enforces it and one length byte allows 255 [uncertain, PROTOCOL.md §1],
    /// so the cap is configurable.
    public let maxDataLength: Int
    /// Bytes skipped while hunting for a frame start (FE preambles included).
    public private(set) var skippedBytes = 0

    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxDataLength: Int = 200) {
        self.maxDataLength = min(max(0, maxDataLength), Frame.maxDataLength)
    }

    /// Bytes held and not yet decoded.
    public var bufferedCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append<S: Sequence<UInt8>>(_ bytes: S) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next frame or error, or nil when more input is needed.
    public mutating func next() -> Event? {
        while true {
            guard let candidate = nextCandidate() else { return nil }
            switch check(at: candidate) {
            case .complete(let frame, let length):
                start = candidate + length
                return .frame(frame)
            case .invalid(let error):
                start = candidate + 1
                return .error(error)
            case .notAFrame:
                start = candidate + 1
                skippedBytes += 1
                continue
            case .incomplete:
                // A real frame may sit behind a false start (noise with a 68 … 68 pattern and a
                // large length). Decode that one rather than wait for bytes that may never come.
                if let later = firstCompleteFrame(after: candidate) {
                    skippedBytes += later - candidate
                    start = later
                    continue
                }
                start = candidate
                return nil
            }
        }
    }

    /// Drains every frame and error decodable now.
    public mutating func drain() -> [Event] {
        var out: [Event] = []
        while let e = next() { out.append(e) }
        return out
    }

    /// Drops everything buffered (after a timeout or a reconnect).
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }

    // MARK: - Scanning

    private enum Check {
        case complete(Frame, length: Int)
        case invalid(DLT645Error)
        case notAFrame
        case incomplete
    }

    /// Skips to the next 68H, counting what was skipped.
    private mutating func nextCandidate() -> Int? {
        var i = start
        while i < buffer.count && buffer[i] != 0x68 { i += 1 }
        skippedBytes += i - start
        start = i
        return i < buffer.count ? i : nil
    }

    private func check(at i: Int) -> Check {
        let available = buffer.count - i
        if available < 8 { return .incomplete }
        guard buffer[i + 7] == 0x68 else { return .notAFrame }
        if available < 10 { return .incomplete }
        let length = Int(buffer[i + 9])
        guard length <= maxDataLength else { return .invalid(.frameTooLong(length: length, limit: maxDataLength)) }
        let total = Frame.overhead + length
        if available < total { return .incomplete }
        let csIndex = i + 10 + length
        let expected = Frame.checksum(buffer[i..<csIndex])
        guard expected == buffer[csIndex] else { return .invalid(.badChecksum(expected: expected, found: buffer[csIndex])) }
        guard buffer[csIndex + 1] == 0x16 else { return .invalid(.missingEndByte(found: buffer[csIndex + 1])) }
        guard let address = try? MeterAddress(wireBytes: buffer[(i + 1)..<(i + 7)]) else {
            return .invalid(.invalidAddress(buffer[(i + 1)..<(i + 7)].map { hex($0) }.joined(separator: " ")))
        }
        let data = buffer[(i + 10)..<csIndex].map { $0 &- 0x33 }
        return .complete(Frame(address: address, control: ControlCode(rawValue: buffer[i + 8]), data: data), length: total)
    }

    private func firstCompleteFrame(after candidate: Int) -> Int? {
        var i = candidate + 1
        while i + Frame.overhead <= buffer.count {
            if buffer[i] == 0x68, case .complete = check(at: i) { return i }
            i += 1
        }
        return nil
    }
}
