/// A master-to-meter request, built into or parsed from a frame.
public enum Request: Hashable, Sendable {
    /// 11H: read `identifier`, with optional extra parameters (block count, time) after the DI.
    case read(MeterAddress, DataIdentifier, parameters: [UInt8] = [])
    /// 12H: read follow-up frame `sequence` of `identifier`.
    case readFollowUp(MeterAddress, DataIdentifier, sequence: UInt8)
    /// 13H: read the address of the one meter on a point-to-point link.
    case readAddress
    /// 14H: write `value` (plain bytes, low byte first) to `identifier`.
    case write(MeterAddress, DataIdentifier, password: Password, operatorCode: OperatorCode, value: [UInt8])
    /// 1CH: trip, close, alarm or keep-power.
    case remoteControl(MeterAddress, RemoteControl)
    /// 08H to 999999999999: set every meter's clock; meters do not answer.
    case broadcastTime(MeterDateTime)

    public var address: MeterAddress {
        switch self {
        case .read(let a, _, _), .readFollowUp(let a, _, _), .write(let a, _, _, _, _), .remoteControl(let a, _): a
        case .readAddress: .wildcard
        case .broadcastTime: .broadcast
        }
    }

    public var function: FunctionCode {
        switch self {
        case .read: .read
        case .readFollowUp: .readFollowUp
        case .readAddress: .readAddress
        case .write: .write
        case .remoteControl: .remoteControl
        case .broadcastTime: .broadcastTime
        }
    }

    /// Whether a meter answers this request at all (broadcasts get no reply).
    public var expectsReply: Bool { !address.isBroadcast }

    public var frame: Frame {
        let data: [UInt8]
        switch self {
        case .read(_, let di, let params): data = di.wireBytes + params
        case .readFollowUp(_, let di, let seq): data = di.wireBytes + [seq]
        case .readAddress: data = []
        case .write(_, let di, let pw, let op, let value): data = di.wireBytes + pw.bytes + op.wireBytes + value
        case .remoteControl(_, let rc): data = rc.dataBytes
        case .broadcastTime(let t): data = t.wireBytes
        }
        return Frame(address: address, control: .request(function), data: data)
    }

    /// Interprets a received master-to-meter frame (what a meter, or meter-sim, does).
    public init(frame: Frame) throws(DLT645Error) {
        guard !frame.control.isReply else { throw .unexpectedDirection(control: frame.control.rawValue) }
        let d = frame.data
        let fn = frame.control.function
        func need(_ ok: Bool, _ expected: String) throws(DLT645Error) {
            if !ok { throw .unexpectedDataLength(function: fn.rawValue, length: d.count, expected: expected) }
        }
        switch fn {
        case .read:
            try need(d.count >= 4, "at least 4")
            self = .read(frame.address, DataIdentifier(wireBytes: d.prefix(4)), parameters: Array(d.dropFirst(4)))
        case .readFollowUp:
            try need(d.count == 5, "5")
            self = .readFollowUp(frame.address, DataIdentifier(wireBytes: d.prefix(4)), sequence: d[4])
        case .readAddress:
            try need(d.isEmpty, "0")
            self = .readAddress
        case .write:
            try need(d.count >= 12, "at least 12")
            self = .write(frame.address, DataIdentifier(wireBytes: d.prefix(4)),
                          password: try Password(wireBytes: Array(d[4..<8])),
                          operatorCode: OperatorCode(wireBytes: Array(d[8..<12])), value: Array(d.dropFirst(12)))
        case .remoteControl:
            self = .remoteControl(frame.address, try RemoteControl(dataBytes: d))
        case .broadcastTime:
            self = .broadcastTime(try MeterDateTime(wireBytes: d))
        default:
            throw .unsupportedFunction(fn.rawValue)
        }
    }
}
