import ChargeControl
import Foundation
import Tariffs

/// `GET /v1/meters/ADDR/live`'s answer: the meter's view (`LiveMeterReading`) and the station's
/// balance. Keys the meter did not answer are null; `remaining_yuan` is absent when the meter
/// has no such data (INTERFACES.md).
struct LiveView: Encodable {
    let reading: LiveMeterReading
    let balance: Money
    let zone: TimeZone

    struct Registers: Encodable {
        let sharp, peak, flat, valley: String
    }

    enum CodingKeys: String, CodingKey {
        case meterAddress = "meter_address", readAt = "read_at", totalKWh = "total_kwh", registers, relay, alarm
        case keepPower = "keep_power", clockOffset = "clock_offset_s", remaining = "remaining_yuan", parameters
        case balance = "balance_yuan", notes
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reading.meterAddress, forKey: .meterAddress)
        try c.encode(RFC3339.format(reading.readAt, in: zone), forKey: .readAt)
        try c.encode(reading.total.kWhString, forKey: .totalKWh)
        let r = reading.registers
        try c.encode(Registers(sharp: r.sharp.kWhString, peak: r.peak.kWhString, flat: r.flat.kWhString, valley: r.valley.kWhString),
                     forKey: .registers)
        try c.encode(reading.state?.relay.rawValue, forKey: .relay)
        try c.encode(reading.state?.alarm, forKey: .alarm)
        try c.encode(reading.state?.keepPower, forKey: .keepPower)
        try c.encode(reading.clockOffsetSeconds, forKey: .clockOffset)
        try c.encodeIfPresent(reading.remainingYuan, forKey: .remaining)
        try c.encode(reading.parameters, forKey: .parameters)
        try c.encode(balance.yuanString, forKey: .balance)
        try c.encode(reading.notes, forKey: .notes)
    }
}
