import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Store
import Tariffs

/// How the reader reaches a meter: one read (11H) and the value bytes of its normal reply.
public protocol MeterLink: Sendable {
    func read(_ meter: MeterAddress, _ item: DataIdentifier) async throws(MeterReadError) -> [UInt8]
}

/// A meter read through its terminal's shared line, in the `.read` lane (control goes first).
public struct TerminalLineLink: MeterLink {
    public let line: TerminalLine
    public let timeout: Duration?
    /// The collector reads in `.read`; a command's read-back goes in `.control`.
    public let priority: LinePriority

    public init(line: TerminalLine, timeout: Duration? = nil, priority: LinePriority = .read) {
        self.line = line
        self.timeout = timeout
        self.priority = priority
    }

    public func read(_ meter: MeterAddress, _ item: DataIdentifier) async throws(MeterReadError) -> [UInt8] {
        let reply: Reply
        do {
            reply = try await line.send(.read(meter, item), priority: priority, timeout: timeout)
        } catch {
            throw .line(error)
        }
        guard case .data(_, let di, let value, _) = reply, di == item else {
            throw .badReply("\(item): unexpected reply \(reply.function)")
        }
        return value
    }
}

/// Why a meter could not be read this time. The meter is tried again at its next slot.
public enum MeterReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The terminal has no line (not provisioned, or removed).
    case noLine(terminal: String)
    /// The line failed: timeout, lost connection, abnormal reply, …
    case line(TerminalLineError)
    /// The meter answered with a value the station cannot use.
    case badReply(String)

    /// The meter answered "no requested data" (D1 ERR 02).
    public var isNoRequestedData: Bool {
        if case .line(.abnormalReply(_, let word)) = self { return word.isNoRequestedData }
        return false
    }

    /// The task was cancelled or the line shut down: not the meter's fault.
    public var isCancellation: Bool {
        if case .line(let e) = self { return e == .cancelled || e == .shutdown }
        return false
    }

    public var description: String {
        switch self {
        case .noLine(let t): "no line to terminal \(t)"
        case .line(let e): e.description
        case .badReply(let text): "bad reply: \(text)"
        }
    }
}

/// What the reader remembers about one meter between reads.
public struct MeterReadMemory: Sendable, Hashable {
    /// False once the meter answered "no requested data" to the block 0001FF00 (or sent a short
    /// block): from then on the five single items are read instead.
    public var blockReads: Bool
    /// Reads left before the meter's clock is read again; 0 means this time.
    public var readsUntilClock: Int

    public init(blockReads: Bool = true, readsUntilClock: Int = 0) {
        self.blockReads = blockReads
        self.readsUntilClock = readsUntilClock
    }
}

/// One meter read: its registers and, where read, its relay state and clock.
public struct MeterSample: Sendable, Hashable {
    public var reading: MeterReading
    /// From status word 3; nil when the meter did not answer it.
    public var meter: MeterState?
    /// The five single items were read instead of the block.
    public var usedSingleItems: Bool
    /// Optional items that failed without failing the read (status word, clock).
    public var notes: [String]
}

/// Reads one meter: energy (block, or single items for meters without blocks), status word 3,
/// and every `clockEvery` reads (and on the first) the meter's clock.
public struct MeterReader: Sendable {
    /// The meters' civil time zone (the station's).
    public var timeZone: TimeZone
    /// Read the meter's clock on every `clockEvery`-th read (and the first).
    public var clockEvery: Int

    public init(timeZone: TimeZone, clockEvery: Int) {
        self.timeZone = timeZone
        self.clockEvery = max(1, clockEvery)
    }

    /// How many reads at `interval` make up `period` (default a day): the clock-check cadence.
    public static func clockEvery(interval: Duration, period: Duration = .seconds(86_400)) -> Int {
        let i = CollectionSchedule.millis(interval)
        return i <= 0 ? 1 : max(1, Int(CollectionSchedule.millis(period) / i))
    }

    /// Reads before a meter's first clock check after the collector starts.
    ///
    /// A meter the station has never billed (no accepted reading) has its clock read at its
    /// first read. One read before had its clock checked within the period before that reading,
    /// so its first check here falls at its own place in the period, spread by address: a start
    /// (or restart) of the station no longer reads every clock in its first cycle, which doubled
    /// the cycle's requests (two per meter for date and time; issue 7, p2) without finding
    /// anything the next checks would not.
    public static func readsBeforeFirstClockCheck(of assignment: MeterAssignment, every: Int) -> Int {
        guard assignment.hasAcceptedReading, every > 1, let number = UInt64(assignment.meterAddress) else { return 0 }
        return Int(number % UInt64(every))
    }

    static let singleItems: [DataIdentifier] = [.forwardActiveTotal] + (1...4).map { DataIdentifier.forwardActiveTariff($0) }

    public func read(_ meter: MeterAddress, memory: inout MeterReadMemory, link: some MeterLink,
                     clock: any StationClock) async throws(MeterReadError) -> MeterSample {
        var notes: [String] = []
        var energy: (total: Energy, registers: PerRegister<Energy>)?
        if memory.blockReads {
            do throws(MeterReadError) {
                let value = try await link.read(meter, .forwardActiveBlock)
                do {
                    energy = try MeterReplies.block(value)
                } catch {
                    memory.blockReads = false
                    notes.append("block unusable, single items from now on: \(error)")
                }
            } catch {
                guard error.isNoRequestedData else { throw error }
                memory.blockReads = false
                notes.append("no block reads (\(error)), single items from now on")
            }
        }
        let usedSingles = energy == nil
        let (total, registers): (Energy, PerRegister<Energy>)
        if let energy {
            (total, registers) = energy
        } else {
            (total, registers) = try await readSingles(meter, link: link)
        }
        let collectedAt = clock.now
        var reading = MeterReading(collectedAt: collectedAt, total: total, registers: registers)

        var state: MeterState?
        do throws(MeterReadError) {
            let value = try await link.read(meter, .statusWord3)
            do {
                state = try MeterReplies.meterState(value)
            } catch {
                notes.append("status word 3: \(error)")
            }
        } catch {
            if error.isCancellation { throw error }
            notes.append("status word 3: \(error)")
        }

        if memory.readsUntilClock <= 0 {
            do throws(MeterReadError) {
                reading.meterTime = try await readClock(meter, link: link, clock: clock, collectedAt: collectedAt)
                memory.readsUntilClock = clockEvery
            } catch {
                if error.isCancellation { throw error }
                notes.append("clock: \(error)")
            }
        }
        memory.readsUntilClock -= 1
        return MeterSample(reading: reading, meter: state, usedSingleItems: usedSingles, notes: notes)
    }

    /// 00010000 and 00010100…00010400, one request each.
    private func readSingles(_ meter: MeterAddress, link: some MeterLink) async throws(MeterReadError)
        -> (total: Energy, registers: PerRegister<Energy>)
    {
        var values: [Energy] = []
        for item in Self.singleItems {
            let value = try await link.read(meter, item)
            do {
                values.append(try MeterReplies.energy(value, item: item))
            } catch {
                throw .badReply(error.description)
            }
        }
        return (values[0], PerRegister(sharp: values[1], peak: values[2], flat: values[3], valley: values[4]))
    }

    /// Date, time, and the date again when the time says midnight may have passed in between;
    /// the result is carried back to `collectedAt` by the station time the read took.
    private func readClock(_ meter: MeterAddress, link: some MeterLink, clock: any StationClock,
                           collectedAt: Date) async throws(MeterReadError) -> Date {
        try await Self.readClock(meter, link: link, clock: clock, timeZone: timeZone, at: collectedAt)
    }

    /// The meter's clock as it was at station instant `reference`: `readClock` for the
    /// collector and for a clock correction's read-back.
    static func readClock(_ meter: MeterAddress, link: some MeterLink, clock: any StationClock, timeZone: TimeZone,
                          at collectedAt: Date) async throws(MeterReadError) -> Date {
        var date = try await link.read(meter, .date)
        let time = try await link.read(meter, .time)
        let readAt = clock.now
        if MeterReplies.dateMayHaveRolled(time: time) {
            date = try await link.read(meter, .date)
        }
        do {
            let meterTime = try MeterReplies.meterTime(date: date, time: time, in: timeZone)
            return meterTime.addingTimeInterval(-readAt.timeIntervalSince(collectedAt))
        } catch {
            throw .badReply(error.description)
        }
    }
}
