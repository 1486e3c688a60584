import DLT645
import DLT645NIO
import Foundation
import Tariffs

/// What `chargectl meter read` shows: registers, relay, alarm, keep-power and the meter clock.
struct MeterReport: Sendable {
    let address: MeterAddress
    let total: Energy
    let registers: [Energy]
    let status: StatusWord3?
    let clock: String?

    static func read(_ address: MeterAddress, on line: TerminalLine) async throws -> MeterReport {
        let values = try await energy(address, on: line)
        let status: StatusWord3?
        if case .data(_, _, let bytes, _) = try? await line.send(.read(address, .statusWord3)) {
            status = try? StatusWord3(wireBytes: bytes)
        } else {
            status = nil
        }
        var clock: String?
        if case .data(_, _, let date, _)? = try? await line.send(.read(address, .date)),
           case .data(_, _, let time, _)? = try? await line.send(.read(address, .time)), date.count == 4, time.count == 3 {
            func two(_ b: UInt8) -> String { String(format: "%02X", b) }
            clock = "20\(two(date[3]))-\(two(date[2]))-\(two(date[1])) \(two(time[2])):\(two(time[1])):\(two(time[0]))"
        }
        return MeterReport(address: address, total: values[0], registers: Array(values.dropFirst()), status: status, clock: clock)
    }

    /// Total and tariffs 1–4: the block when the meter has it, else item by item.
    static func energy(_ address: MeterAddress, on line: TerminalLine) async throws -> [Energy] {
        do {
            let reply = try await line.send(.read(address, .forwardActiveBlock))
            if case .data(_, _, let value, _) = reply, value.count >= 20 {
                return try (0..<5).map { Energy(hundredths: try NumberFormat.decodeUnsignedHundredths(Array(value[($0 * 4)..<($0 * 4 + 4)]))) }
            }
        } catch TerminalLineError.abnormalReply(_, let word) where word.isNoRequestedData {
            // No block support: fall through to single items.
        }
        var out: [Energy] = []
        for di in [DataIdentifier.forwardActiveTotal] + (1...4).map(DataIdentifier.forwardActiveTariff) {
            guard case .data(_, _, let value, _) = try await line.send(.read(address, di)) else { continue }
            out.append(Energy(hundredths: try NumberFormat.decodeUnsignedHundredths(value)))
        }
        return out
    }

    var relay: String {
        guard let status else { return "unknown" }
        if !status.contains(.relayOpen) { return "closed" }
        return status.contains(.relayCommandedOpen) ? "open" : "armed"
    }

    var text: String {
        let names = ["sharp", "peak", "flat", "valley"]
        var lines = ["meter      \(address)", "total      \(total.kWhString) kWh"]
        for (name, e) in zip(names, registers) { lines.append("\(name.padding(toLength: 11, withPad: " ", startingAt: 0))\(e.kWhString) kWh") }
        lines.append("relay      \(relay)")
        if let status {
            lines.append("alarm      \(status.contains(.preTripAlarm) ? "on" : "off")")
            lines.append("keep-power \(status.contains(.keepPower) ? "on" : "off")")
            lines.append("status 3   \(String(format: "%04X", status.rawValue))H")
        }
        if let clock { lines.append("clock      \(clock)") }
        return lines.joined(separator: "\n")
    }

    var json: String {
        var o: [String: Any] = ["address": address.description, "total_kwh": total.kWhString, "relay": relay]
        o["registers"] = Dictionary(uniqueKeysWithValues: zip(["sharp", "peak", "flat", "valley"], registers.map(\.kWhString)))
        if let status {
            o["alarm"] = status.contains(.preTripAlarm)
            o["keep_power"] = status.contains(.keepPower)
        }
        if let clock { o["clock"] = clock }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
