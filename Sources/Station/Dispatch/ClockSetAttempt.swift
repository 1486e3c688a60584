import ChargeControl
import DLT645
import DLT645NIO
import Foundation

/// One attempt at setting a meter's clock to the station's: broadcast time (08H, no answer) on
/// its terminal, or a 14H write of date (04000101) then time (04000102). Either way the clock is
/// read back: the command is acknowledged only when the meter is within the tolerance again.
enum ClockSetAttempt {
    /// The detail to store with the acknowledgement, or why the attempt failed.
    static func run(_ kind: CommandKind, to address: MeterAddress, on line: TerminalLine, policy: DispatchPolicy,
                    clock: any StationClock) async -> Result<String, DispatchFailure> {
        let how: String
        do {
            how = try await set(kind, address, line, policy, clock)
        } catch let failure as DispatchFailure {
            return .failure(failure)
        } catch {
            return .failure(.unsendable("\(error)"))
        }
        let readAt = clock.now
        let meterTime: Date
        do throws(MeterReadError) {
            meterTime = try await MeterReader.readClock(address, link: TerminalLineLink(line: line, priority: .control), clock: clock,
                                                        timeZone: policy.timeZone, at: readAt)
        } catch {
            return .failure(.readBackFailed("meter clock not read back after \(how): \(error)"))
        }
        let offset = Int64((meterTime.timeIntervalSince(readAt)).rounded())
        guard ClockCorrection.isCorrected(offsetSeconds: offset, toleranceSeconds: policy.clockToleranceSeconds) else {
            return .failure(.readBackContradicts("meter clock still \(offset) s off after \(how) "
                + "(tolerance \(policy.clockToleranceSeconds) s)"))
        }
        return .success("clock set by \(how): now \(offset) s off, confirmed by reading it back")
    }

    /// Sends the setting; returns how it was set, for the detail.
    private static func set(_ kind: CommandKind, _ address: MeterAddress, _ line: TerminalLine, _ policy: DispatchPolicy,
                            _ clock: any StationClock) async throws -> String {
        let now: MeterDateTime
        do throws(DLT645Error) {
            now = try MeterDateTime(clock.now, in: policy.timeZone)
        } catch {
            throw DispatchFailure.unsendable(error.description)
        }
        switch kind {
        case .clockBroadcast:
            try await send(.broadcastTime(now), on: line, expecting: .broadcastTime)
            return "broadcast time \(now)"
        case .clockWrite:
            for (identifier, value) in [(DataIdentifier.date, now.dateWireBytes), (.time, now.timeWireBytes)] {
                try await send(.write(address, identifier, password: policy.password, operatorCode: policy.operatorCode, value: value),
                               on: line, expecting: .write)
            }
            return "writing date and time \(now)"
        default:
            throw DispatchFailure.unsendable("\(kind.rawValue) does not set a clock")
        }
    }

    private static func send(_ request: Request, on line: TerminalLine, expecting function: FunctionCode) async throws {
        let reply: Reply
        do throws(TerminalLineError) {
            reply = try await line.send(request, priority: .control)
        } catch {
            throw DispatchFailure.line(error)
        }
        guard case .acknowledged(_, let answered) = reply, answered == function else {
            throw DispatchFailure.unexpectedReply("\(reply.function)")
        }
    }
}
