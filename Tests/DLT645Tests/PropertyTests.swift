import SeededRandom
import Testing
@testable import DLT645

/// Property tests with a seeded generator: the same seeds every run, many cases each.
@Suite("Codec properties")
struct PropertyTests {
    static func randomFrame(_ rng: inout SplitMix64, maxData: Int = 200) -> Frame {
        let address = try! MeterAddress(number: UInt64.random(in: 0...999_999_999_999, using: &rng))
        let control = ControlCode(rawValue: UInt8.random(in: 0...255, using: &rng))
        let count = Int.random(in: 0...maxData, using: &rng)
        let data = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Frame(address: address, control: control, data: data)
    }

    @Test(arguments: 1...4 as ClosedRange<UInt64>)
    func encodeDecodeRoundTrip(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<2_000 {
            let frame = Self.randomFrame(&rng)
            let preamble = Int.random(in: 0...4, using: &rng)
            let events = decodeAll(try frame.encode(preamble: preamble))
            #expect(events == [.frame(frame)])
        }
    }

    @Test func addressRoundTrip() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<10_000 {
            let n = UInt64.random(in: 0...999_999_999_999, using: &rng)
            let a = try MeterAddress(number: n)
            #expect(try MeterAddress(a.description) == a)
            #expect(try MeterAddress(wireBytes: a.wireBytes) == a)
            #expect(a.number == n)
        }
    }

    @Test func numberFormatRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<10_000 {
            let v = Int64.random(in: -NumberFormat.signedHundredthsLimit...NumberFormat.signedHundredthsLimit, using: &rng)
            #expect(try NumberFormat.decodeSignedHundredths(NumberFormat.encodeSignedHundredths(v)) == v)
            let u = Int64.random(in: 0...NumberFormat.unsignedHundredthsLimit, using: &rng)
            #expect(try NumberFormat.decodeUnsignedHundredths(NumberFormat.encodeUnsignedHundredths(u)) == u)
        }
    }

    @Test(arguments: 1...4 as ClosedRange<UInt64>)
    func randomGarbageNeverCrashesOrGrows(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var d = FrameDecoder()
        for _ in 0..<2_000 {
            let n = Int.random(in: 0...300, using: &rng)
            // Bias towards the bytes that matter (68, 16, FE) so candidates are common.
            let chunk = (0..<n).map { _ -> UInt8 in
                switch UInt8.random(in: 0...9, using: &rng) {
                case 0, 1: 0x68
                case 2: 0x16
                case 3: 0xFE
                default: UInt8.random(in: 0...255, using: &rng)
                }
            }
            d.append(chunk)
            _ = d.drain()
            #expect(d.bufferedCount <= Frame.overhead + Frame.maxDataLength)
        }
    }

    @Test(arguments: 1...3 as ClosedRange<UInt64>)
    func everySplitOfAStreamDecodesTheSame(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let sent = (0..<3).map { _ in Self.randomFrame(&rng, maxData: 24) }
        var stream: [UInt8] = []
        for f in sent { stream += try f.encode(preamble: Int.random(in: 0...4, using: &rng)) }
        // Every single split point, and random multi-way fragmentations.
        for cut in 0...stream.count {
            var d = FrameDecoder()
            d.append(stream[..<cut])
            var events = d.drain()
            d.append(stream[cut...])
            events += d.drain()
            #expect(frames(events) == sent)
        }
        for _ in 0..<200 {
            var d = FrameDecoder()
            var events: [FrameDecoder.Event] = []
            var i = 0
            while i < stream.count {
                let n = Int.random(in: 1...7, using: &rng)
                d.append(stream[i..<min(stream.count, i + n)])
                events += d.drain()
                i += n
            }
            #expect(frames(events) == sent)
        }
    }

    @Test func validFramesSurviveSurroundingNoise() throws {
        var rng = SplitMix64(seed: 1234)
        for _ in 0..<500 {
            let frame = Self.randomFrame(&rng, maxData: 40)
            // Noise without 68H cannot start a candidate, so the frame must come out intact.
            let noise = (0..<Int.random(in: 0...20, using: &rng)).map { _ in UInt8.random(in: 0...0x67, using: &rng) }
            let events = decodeAll(noise + (try frame.encode()) + noise)
            #expect(frames(events) == [frame])
        }
    }
}
