import DLT645
import Foundation
@testable import MeterSim

/// 2025-06-30 12:00:00 in Asia/Shanghai (04:00:00 UTC).
let noonShanghai: Int64 = 1_751_256_000
let shanghaiOffset: Int64 = 8 * 3600

func addr(_ text: String) -> MeterAddress {
    do { return try MeterAddress(text) } catch { preconditionFailure("bad test address \(text)") }
}

func password(_ text: String) -> Password {
    do { return try Password(text) } catch { preconditionFailure("bad test password \(text)") }
}

func dateTime(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> MeterDateTime {
    do { return try MeterDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s) } catch {
        preconditionFailure("bad test date")
    }
}

let operatorCode = OperatorCode(rawValue: 1)
let futureDeadline = dateTime(2025, 12, 31, 23, 59, 59)
let pastDeadline = dateTime(2025, 6, 30, 11, 0, 0)

func control(_ command: RemoteControlCommand, password pw: String = "02000000",
             deadline: MeterDateTime = futureDeadline) -> RemoteControl {
    RemoteControl(password: password(pw), operatorCode: operatorCode, command: command, deadline: deadline)
}

/// A small configuration on a manual clock at `noonShanghai`.
func testConfiguration(terminals: Int = 2, meters: Int = 20, loadWatts: Int64 = 1000,
                       faults: FaultConfiguration = FaultConfiguration(), admin: Bool = false,
                       autoClose: Bool = false, seed: UInt64 = 7, clockDrift: Int64 = 0,
                       schedule: any RegisterSchedule = FlatSchedule()) -> SimConfiguration {
    SimConfiguration(host: "127.0.0.1", basePort: 0, terminals: terminals, meters: meters, firstAddress: 1,
                     admin: admin ? HostAndPort(host: "127.0.0.1", port: 0) : nil, seed: seed, loadWatts: loadWatts,
                     schedule: schedule, faults: faults, autoClose: autoClose, clockDriftSeconds: clockDrift)
}

func makeFleet(_ configuration: SimConfiguration, clock: ManualClock = ManualClock(unixSeconds: noonShanghai)) throws -> MeterFleet {
    try MeterFleet(configuration: configuration, clock: clock)
}

/// Decodes the reply a terminal sent, or nil for silence.
func decodeAnswer(_ answer: TerminalAnswer) -> Reply? {
    guard let bytes = answer.bytes else { return nil }
    var decoder = FrameDecoder()
    decoder.append(bytes)
    guard case .frame(let frame)? = decoder.next() else { return nil }
    return try? Reply(frame: frame)
}

extension MeterFleet {
    /// Sends `request` to terminal `terminal` without sockets.
    func exchange(_ request: Request, terminal: Int = 0) -> Reply? {
        decodeAnswer(respond(to: request.frame, onTerminal: terminal))
    }
}

func statusWord(of reply: Reply?) -> StatusWord3? {
    guard case .data(_, let di, let value, _)? = reply, di == .statusWord3 else { return nil }
    return try? StatusWord3(wireBytes: value)
}

func energy(of reply: Reply?) -> Int64? {
    guard case .data(_, _, let value, _)? = reply else { return nil }
    return try? NumberFormat.decodeUnsignedHundredths(value)
}

func errorWord(of reply: Reply?) -> UInt16? {
    guard case .abnormal(_, _, let word)? = reply else { return nil }
    return word.rawValue
}

/// A 14H write with `pw` (the simulator's default password unless told).
func writeRequest(_ meter: MeterAddress, _ di: DataIdentifier, _ value: [UInt8], password pw: String = "02000000") -> Request {
    .write(meter, di, password: password(pw), operatorCode: operatorCode, value: value)
}

/// The value of a normal read reply, or nil.
func value(of reply: Reply?) -> [UInt8]? {
    guard case .data(_, _, let value, _)? = reply else { return nil }
    return value
}
