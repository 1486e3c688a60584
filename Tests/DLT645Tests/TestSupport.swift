import SeededRandom
@testable import DLT645

/// Parses "68 01 00 …" into bytes.
func bytes(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

func decodeAll(_ input: [UInt8], maxDataLength: Int = 200) -> [FrameDecoder.Event] {
    var d = FrameDecoder(maxDataLength: maxDataLength)
    d.append(input)
    return d.drain()
}

func frames(_ events: [FrameDecoder.Event]) -> [Frame] {
    events.compactMap { if case .frame(let f) = $0 { f } else { nil } }
}

let meter1 = try! MeterAddress("000000000001")
