/// A control/write password: level byte PA then three password bytes P0…P2.
///
/// Written as 8 hex digits, level first (`"02123456"`), and sent in exactly that byte order: tools
/// disagree on the order of the three password bytes [uncertain, PROTOCOL.md §3], so they are
/// opaque and go out as configured. `description` hides the secret so it never reaches a log.
public struct Password: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    /// PA, P0, P1, P2 as sent.
    public let bytes: [UInt8]

    public init(_ text: String) throws(DLT645Error) {
        guard let bytes = hexBytes(text, count: 4) else { throw .invalidPassword(text.count <= 8 ? "<\(text.count) chars>" : "<too long>") }
        self.bytes = bytes
    }

    public init(wireBytes: [UInt8]) throws(DLT645Error) {
        guard wireBytes.count == 4 else { throw .invalidPassword("<\(wireBytes.count) bytes>") }
        bytes = wireBytes
    }

    /// The password level (PA): 02/04 plaintext on SGCC meters, 98H ESAM-encrypted.
    public var level: UInt8 { bytes[0] }

    /// Never the secret itself.
    public var description: String { "Password(level \(hex(level)), ******)" }

    /// `dump`, debuggers and the default description of a value holding one (`RemoteControl`,
    /// `Request`) see the level only, never `bytes`.
    public var customMirror: Mirror { Mirror(self, children: ["level": hex(level)]) }
}

/// The 4-byte operator code C0…C3 that a meter records in its control log.
///
/// Written as 8 hex digits, most significant first (`"00000001"`), sent low byte first
/// (`01 00 00 00`) like every multi-byte item.
public struct OperatorCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(_ text: String) throws(DLT645Error) {
        guard text.utf8.count == 8, let v = UInt32(text, radix: 16) else { throw .invalidOperatorCode(text) }
        rawValue = v
    }

    public init(wireBytes: [UInt8]) {
        var v: UInt32 = 0
        for (i, b) in wireBytes.prefix(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        rawValue = v
    }

    public var wireBytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * UInt32($0))) } }

    public var description: String {
        let s = String(rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}

private func hexBytes(_ text: String, count: Int) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count == count * 2 else { return nil }
    var out: [UInt8] = []
    for i in stride(from: 0, to: chars.count, by: 2) {
        guard let hi = hexValue(chars[i]), let lo = hexValue(chars[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
    }
    return out
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}
