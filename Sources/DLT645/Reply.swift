/// A meter-to-master reply, built into or parsed from a frame.
public enum Reply: Hashable, Sendable {
    /// 91H (B1H with follow-up frames): the identifier and its value bytes.
    case data(MeterAddress, DataIdentifier, value: [UInt8], followUp: Bool)
    /// 92H (B2H with more frames): a follow-up frame's value and its frame number SEQ.
    case followUpData(MeterAddress, DataIdentifier, value: [UInt8], sequence: UInt8, followUp: Bool)
    /// 93H: the meter's own address.
    case address(MeterAddress)
    /// A normal reply without data (94H write OK, 9CH control OK, …).
    case acknowledged(MeterAddress, FunctionCode)
    /// An abnormal reply (D1H, D4H, DCH, …) with its 1- or 2-byte error word.
    case abnormal(MeterAddress, FunctionCode, ErrorWord)

    public var address: MeterAddress {
        switch self {
        case .data(let a, _, _, _), .followUpData(let a, _, _, _, _), .address(let a), .acknowledged(let a, _),
             .abnormal(let a, _, _): a
        }
    }

    public var function: FunctionCode {
        switch self {
        case .data: .read
        case .followUpData: .readFollowUp
        case .address: .readAddress
        case .acknowledged(_, let fn), .abnormal(_, let fn, _): fn
        }
    }

    public var frame: Frame {
        switch self {
        case .data(let a, let di, let value, let followUp):
            Frame(address: a, control: .reply(.read, followUp: followUp), data: di.wireBytes + value)
        case .followUpData(let a, let di, let value, let seq, let followUp):
            Frame(address: a, control: .reply(.readFollowUp, followUp: followUp), data: di.wireBytes + value + [seq])
        case .address(let a):
            Frame(address: a, control: .reply(.readAddress), data: a.wireBytes)
        case .acknowledged(let a, let fn):
            Frame(address: a, control: .reply(fn), data: [])
        case .abnormal(let a, let fn, let err):
            Frame(address: a, control: .reply(fn, abnormal: true), data: err.wireBytes)
        }
    }

    /// Interprets a received meter-to-master frame.
    public init(frame: Frame) throws(DLT645Error) {
        let c = frame.control
        guard c.isReply else { throw .unexpectedDirection(control: c.rawValue) }
        let d = frame.data
        let fn = c.function
        if c.isAbnormal {
            switch d.count {
            case 1: self = .abnormal(frame.address, fn, ErrorWord(d[0]))
            case 2: self = .abnormal(frame.address, fn, ErrorWord(esam: UInt16(d[0]) | UInt16(d[1]) << 8))
            default: throw .unexpectedDataLength(function: c.rawValue, length: d.count, expected: "1 or 2 (error word)")
            }
            return
        }
        switch fn {
        case .read:
            guard d.count >= 4 else {
                throw .unexpectedDataLength(function: c.rawValue, length: d.count, expected: "at least 4")
            }
            self = .data(frame.address, DataIdentifier(wireBytes: d.prefix(4)), value: Array(d.dropFirst(4)), followUp: c.hasFollowUp)
        case .readFollowUp:
            guard d.count >= 5 else {
                throw .unexpectedDataLength(function: c.rawValue, length: d.count, expected: "at least 5 (DI, value, SEQ)")
            }
            self = .followUpData(frame.address, DataIdentifier(wireBytes: d.prefix(4)), value: Array(d[4..<(d.count - 1)]),
                                 sequence: d[d.count - 1], followUp: c.hasFollowUp)
        case .readAddress:
            self = .address(try MeterAddress(wireBytes: d))
        default:
            guard d.isEmpty else { throw .unexpectedDataLength(function: c.rawValue, length: d.count, expected: "0") }
            self = .acknowledged(frame.address, fn)
        }
    }

    /// Whether this reply answers `request`: same function, the address the request named (a
    /// wildcard request is answered with the meter's real address) and, for data, the identifier
    /// asked for — so a late reply for another item of the same meter is not taken as the answer.
    public func answers(_ request: Request) -> Bool {
        guard function == request.function else { return false }
        switch (request, self) {
        case (.readAddress, _): return true
        case (.read(_, let asked, _), .data(_, let got, _, _)),
             (.readFollowUp(_, let asked, _), .followUpData(_, let got, _, _, _)):
            guard asked == got else { return false }
        default: break
        }
        return request.address.matches(address)
    }
}
