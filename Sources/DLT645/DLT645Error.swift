/// Everything that can be wrong with DL/T 645-2007 input, each case naming the problem.
///
/// The codec never traps on bad input: a malformed byte, frame or value is one of these.
public enum DLT645Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// A meter address that is not 12 BCD digits (or `AA` wildcard pairs).
    case invalidAddress(String)
    /// A byte that should hold two BCD digits does not (`0xA5` is not decimal).
    case invalidBCD(byte: UInt8, index: Int)
    /// A number that does not fit the wire format it was asked to fill.
    case valueOutOfRange(value: String, format: String)
    /// A data field longer than a frame can carry.
    case dataTooLong(length: Int, limit: Int)
    /// A frame whose checksum byte is not the sum of its bytes.
    case badChecksum(expected: UInt8, found: UInt8)
    /// A frame that does not end with 16H where its length says it should.
    case missingEndByte(found: UInt8)
    /// A frame whose length field exceeds the configured limit.
    case frameTooLong(length: Int, limit: Int)
    /// A frame whose data field has the wrong size for its function.
    case unexpectedDataLength(function: UInt8, length: Int, expected: String)
    /// A frame sent in the wrong direction (a reply where a request was expected, or back).
    case unexpectedDirection(control: UInt8)
    /// A function code this codec does not know how to interpret.
    case unsupportedFunction(UInt8)
    /// A password that is not 8 hex digits.
    case invalidPassword(String)
    /// An operator code that is not 8 hex digits.
    case invalidOperatorCode(String)
    /// A data identifier that is not 8 hex digits.
    case invalidDataIdentifier(String)
    /// A date or time that a meter cannot represent.
    case invalidDateTime(String)
    /// A remote-control N1 byte that is not one of the known commands.
    case unknownControlCommand(UInt8)

    public var description: String {
        switch self {
        case .invalidAddress(let s): "invalid meter address \"\(s)\": want 12 decimal digits (or AA wildcard pairs)"
        case .invalidBCD(let b, let i): "byte \(hex(b)) at offset \(i) is not BCD"
        case .valueOutOfRange(let v, let f): "value \(v) does not fit format \(f)"
        case .dataTooLong(let l, let lim): "data field of \(l) bytes exceeds the limit of \(lim)"
        case .badChecksum(let e, let f): "bad checksum: computed \(hex(e)), frame carries \(hex(f))"
        case .missingEndByte(let f): "missing end byte 16H: found \(hex(f))"
        case .frameTooLong(let l, let lim): "frame data length \(l) exceeds the limit of \(lim)"
        case .unexpectedDataLength(let fn, let l, let e):
            "function \(hex(fn)): data length \(l), expected \(e)"
        case .unexpectedDirection(let c): "control code \(hex(c)) has the wrong direction here"
        case .unsupportedFunction(let c): "unsupported function code \(hex(c))"
        case .invalidPassword(let s): "invalid password \"\(s)\": want 8 hex digits, level byte first"
        case .invalidOperatorCode(let s): "invalid operator code \"\(s)\": want 8 hex digits"
        case .invalidDataIdentifier(let s): "invalid data identifier \"\(s)\": want 8 hex digits"
        case .invalidDateTime(let s): "invalid meter date-time: \(s)"
        case .unknownControlCommand(let n): "unknown remote-control command N1 = \(hex(n))"
        }
    }
}

/// Two upper-case hex digits and an H, as the standard writes bytes (`1CH`).
@inlinable
func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]) + "H"
}
