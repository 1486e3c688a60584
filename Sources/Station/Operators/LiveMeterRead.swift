import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Synchronization
import Tariffs

/// What a meter shows when read on demand (`GET /v1/meters/ADDR/live`).
public struct LiveMeterReading: Sendable, Hashable {
    public var meterAddress: String
    /// When the energy was read (station clock).
    public var readAt: Date
    public var total: Energy
    public var registers: PerRegister<Energy>
    /// From status word 3; nil when the meter did not answer it.
    public var state: MeterState?
    /// The meter's clock minus the station's, whole seconds; nil when its clock was not read.
    public var clockOffsetSeconds: Int64?
    /// 00900200 as the meter shows it (`"12.34"`); nil when it has no such data.
    public var remainingYuan: String?
    /// Writable parameters (DI as 8 hex digits → value as the meter shows it); those the meter
    /// refuses are absent.
    public var parameters: [String: String]
    /// Items that did not come back without failing the read (status word, clock, a bad value).
    public var notes: [String]
}

/// Why an on-demand read failed, naming what did not answer.
public enum LiveReadFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The terminal has no line (not provisioned yet, or removed).
    case noLine(terminal: String)
    /// The terminal or the meter did not answer `item` (or not within `bound` for the whole read).
    case noAnswer(terminal: String, meter: String, item: String, problem: String)
    /// The meter answered the energy read with something the station cannot use.
    case badReply(meter: String, problem: String)

    public var description: String {
        switch self {
        case .noLine(let t): "no line to terminal \(t)"
        case .noAnswer(let t, let m, let item, let problem): "meter \(m) on terminal \(t) did not answer \(item): \(problem)"
        case .badReply(let m, let problem): "meter \(m): \(problem)"
        }
    }
}

/// Reads one meter now, through its terminal's shared line in the control lane (ahead of the
/// collector's reads): energy, status word 3 and the clock as the collector reads them
/// (`MeterReader`), then the remaining amount and the writable parameters. The whole read is
/// bounded by `bound` on the lines' clock; past it, the read is cancelled and the failure names
/// the item that was waiting.
public struct LiveMeterRead: Sendable {
    /// Parameters shown: the writable ones but the clock (shown as `clockOffsetSeconds`).
    static let parameters = MeterParameter.writable.filter { $0.identifier != .date && $0.identifier != .time }

    public let line: TerminalLine
    public let terminalID: String
    public let timeZone: TimeZone
    public let bound: Duration
    /// The lines' clock: the bound is timed on it, like the lines' own timeouts.
    public let clock: any Clock<Duration>

    public init(line: TerminalLine, terminalID: String, timeZone: TimeZone, bound: Duration, clock: any Clock<Duration>) {
        self.line = line
        self.terminalID = terminalID
        self.timeZone = timeZone
        self.bound = bound
        self.clock = clock
    }

    public func read(_ meter: String, station: any StationClock) async throws(LiveReadFailure) -> LiveMeterReading {
        let address: MeterAddress
        do {
            address = try MeterAddress(meter)
        } catch {
            throw .badReply(meter: meter, problem: "\(error)")
        }
        let link = ControlLaneLink(line: line)
        let outcome = await Self.race(bound, on: clock) { await self.readAll(address, meter: meter, link: link, station: station) }
        guard let outcome else {
            throw .noAnswer(terminal: terminalID, meter: meter, item: link.waitingFor,
                            problem: "the whole read took longer than \(bound)")
        }
        return try outcome.get()
    }

    private func readAll(_ address: MeterAddress, meter: String, link: ControlLaneLink,
                         station: any StationClock) async -> Result<LiveMeterReading, LiveReadFailure> {
        var memory = MeterReadMemory(blockReads: true, readsUntilClock: 0)
        let sample: MeterSample
        do {
            sample = try await MeterReader(timeZone: timeZone, clockEvery: 1).read(address, memory: &memory, link: link, clock: station)
        } catch {
            return .failure(failure(error, meter: meter, item: link.waitingFor))
        }
        var reading = LiveMeterReading(
            meterAddress: meter, readAt: sample.reading.collectedAt, total: sample.reading.total, registers: sample.reading.registers,
            state: sample.meter,
            clockOffsetSeconds: sample.reading.meterTime.map { Int64($0.timeIntervalSince(sample.reading.collectedAt).rounded()) },
            remainingYuan: nil, parameters: [:], notes: sample.notes)
        let optional = [(DataIdentifier.remainingAmount, ParameterFormat.amount)] + Self.parameters.map { ($0.identifier, $0.format) }
        for (item, format) in optional {
            let bytes: [UInt8]
            do {
                bytes = try await link.read(address, item)
            } catch {
                // A refusal (no such data, not supported) leaves the item out; silence fails the read.
                guard case .line(.abnormalReply) = error else { return .failure(failure(error, meter: meter, item: "\(item)")) }
                continue
            }
            do {
                let text = try format.text(of: bytes)
                if item == .remainingAmount { reading.remainingYuan = text } else { reading.parameters["\(item)"] = text }
            } catch {
                reading.notes.append("\(item): \(error)")
            }
        }
        return .success(reading)
    }

    private func failure(_ error: MeterReadError, meter: String, item: String) -> LiveReadFailure {
        switch error {
        case .noLine(let t): .noLine(terminal: t)
        case .badReply(let text): .badReply(meter: meter, problem: text)
        case .line(let e): .noAnswer(terminal: terminalID, meter: meter, item: item, problem: e.description)
        }
    }

    /// `body`'s result, or nil when `bound` passed first on `clock` (`body` is then cancelled).
    static func race<T: Sendable>(_ bound: Duration, on clock: any Clock<Duration>,
                                  _ body: @escaping @Sendable () async -> T) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await clock.sleep(for: bound)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// Reads in the control lane, remembering the item it waits for (the 504 names it).
final class ControlLaneLink: MeterLink, Sendable {
    let line: TerminalLine
    private let waiting = Mutex("nothing")

    init(line: TerminalLine) { self.line = line }

    /// The item last asked for.
    var waitingFor: String { waiting.withLock { $0 } }

    func read(_ meter: MeterAddress, _ item: DataIdentifier) async throws(MeterReadError) -> [UInt8] {
        waiting.withLock { $0 = "\(item)" }
        let reply: Reply
        do {
            reply = try await line.send(.read(meter, item), priority: .control)
        } catch {
            throw .line(error)
        }
        guard case .data(_, let di, let value, _) = reply, di == item else {
            throw .badReply("\(item): unexpected reply \(reply.function)")
        }
        return value
    }
}
