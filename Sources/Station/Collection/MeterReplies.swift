import ChargeControl
import DLT645
import Foundation
import Tariffs

/// Turns the value bytes of read replies (PROTOCOL.md §4) into station values. Pure.
public enum MeterReplies {
    /// Why a reply's value could not be used.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// One `XXXXXX.XX` kWh register (00010000, 00010100…00010400).
    public static func energy(_ value: [UInt8], item: DataIdentifier) throws(Problem) -> Energy {
        do {
            return Energy(hundredths: try NumberFormat.decodeUnsignedHundredths(value))
        } catch {
            throw Problem("\(item): \(error)")
        }
    }

    /// The forward active block (0001FF00): total, then tariffs 1…n, 4 bytes each. The first five
    /// values are used (a meter with more than four tariffs sends more); fewer than five is an
    /// error, so the caller falls back to single items.
    public static func block(_ value: [UInt8]) throws(Problem) -> (total: Energy, registers: PerRegister<Energy>) {
        guard value.count >= 20, value.count % 4 == 0 else {
            throw Problem("\(DataIdentifier.forwardActiveBlock): \(value.count) bytes, want total and 4 tariffs (20 or more, a multiple of 4)")
        }
        var values: [Energy] = []
        for i in 0..<5 {
            values.append(try energy(Array(value[(i * 4)..<(i * 4 + 4)]), item: .forwardActiveBlock))
        }
        return (values[0], PerRegister(sharp: values[1], peak: values[2], flat: values[3], valley: values[4]))
    }

    /// Status word 3 (04000503) → the meter's relay, alarm and keep-power state.
    /// Bit 4 (relay actually open) and bit 6 (commanded open): both → open; bit 4 alone → armed
    /// (allowed to close, waiting for the customer); bit 4 clear → closed. Bit 7 alarm, bit 12
    /// keep-power.
    public static func meterState(_ value: [UInt8]) throws(Problem) -> MeterState {
        let word: StatusWord3
        do {
            word = try StatusWord3(wireBytes: value)
        } catch {
            throw Problem("\(DataIdentifier.statusWord3): \(error)")
        }
        return meterState(word)
    }

    public static func meterState(_ word: StatusWord3) -> MeterState {
        let relay: RelayState = !word.contains(.relayOpen) ? .closed : word.contains(.relayCommandedOpen) ? .open : .armed
        return MeterState(relay: relay, alarm: word.contains(.preTripAlarm), keepPower: word.contains(.keepPower))
    }

    /// 04000101 (`WW DD MM YY`) and 04000102 (`ss mm hh`) → the meter's civil date-time.
    public static func meterDateTime(date: [UInt8], time: [UInt8]) throws(Problem) -> MeterDateTime {
        guard date.count == 4 else { throw Problem("\(DataIdentifier.date): \(date.count) bytes, want 4 (WW DD MM YY)") }
        guard time.count == 3 else { throw Problem("\(DataIdentifier.time): \(time.count) bytes, want 3 (ss mm hh)") }
        func digits(_ bytes: [UInt8], _ item: DataIdentifier) throws(Problem) -> [Int] {
            var out: [Int] = []
            for b in bytes {
                guard let v = BCD.value(of: b) else { throw Problem("\(item): byte \(b) is not BCD") }
                out.append(Int(v))
            }
            return out
        }
        let d = try digits(date, .date), t = try digits(time, .time)
        do {
            return try MeterDateTime(year: 2000 + d[3], month: d[2], day: d[1], hour: t[2], minute: t[1], second: t[0])
        } catch {
            throw Problem("meter clock: \(error)")
        }
    }

    /// The meter's clock as an instant, civil time taken in `zone` (meters keep local time).
    public static func meterTime(date: [UInt8], time: [UInt8], in zone: TimeZone) throws(Problem) -> Date {
        let civil = try meterDateTime(date: date, time: time)
        guard let instant = civil.date(in: zone) else { throw Problem("meter clock \(civil) does not exist in \(zone.identifier)") }
        return instant
    }

    /// Whether the date must be read again after the time: the date is read first, so if the time
    /// shows the first minutes of a day, midnight may have passed between the two reads.
    public static func dateMayHaveRolled(time: [UInt8], window: Int = 300) -> Bool {
        guard time.count == 3, let s = BCD.value(of: time[0]), let m = BCD.value(of: time[1]), let h = BCD.value(of: time[2])
        else { return false }
        return Int(h) * 3600 + Int(m) * 60 + Int(s) < window
    }
}
