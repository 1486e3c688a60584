@testable import DLT645

/// Parses "68 01 00 …" into bytes.
func bytes(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// A small deterministic generator (SplitMix64) so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
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
