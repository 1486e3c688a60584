/// A meter's communication address: 12 BCD digits, sent low byte first.
///
/// Stored as the six wire bytes packed into a `UInt64` (wire byte 0 in the low 8 bits), so an
/// address is cheap to copy, hash and compare. A byte of `AAH` is a wildcard (abbreviated
/// addressing in reads); `999999999999` is the broadcast address.
public struct MeterAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The six wire bytes, wire byte 0 (the lowest two digits) in bits 0...7.
    public let packed: UInt64

    /// The broadcast address; meters never answer it.
    public static let broadcast = MeterAddress(packed: 0x99_99_99_99_99_99)
    /// All six bytes wildcard: used with read-address (13H) on a point-to-point link.
    public static let wildcard = MeterAddress(packed: 0xAA_AA_AA_AA_AA_AA)

    /// Wraps six packed wire bytes; bytes must be BCD or `AAH`.
    public init(packed: UInt64) {
        self.packed = packed & 0xFFFF_FFFF_FFFF
    }

    /// The address whose 12 digits spell `number` (0...999_999_999_999).
    public init(number: UInt64) throws(DLT645Error) {
        guard number <= 999_999_999_999 else { throw .invalidAddress(String(number)) }
        var rest = number
        var packed: UInt64 = 0
        for i in 0..<6 {
            packed |= UInt64(BCD.byte(UInt8(rest % 100))) << (8 * UInt64(i))
            rest /= 100
        }
        self.init(packed: packed)
    }

    /// Parses the nameplate form: up to 12 digits (short ones padded with 0 in the high digits);
    /// `AA` pairs, aligned on bytes from the left, are wildcards.
    public init(_ text: String) throws(DLT645Error) {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.count <= 12 else { throw .invalidAddress(text) }
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: 12 - chars.count) + chars
        var packed: UInt64 = 0
        for pair in 0..<6 {
            let hi = padded[pair * 2], lo = padded[pair * 2 + 1]
            let byte: UInt8
            if (hi | 0x20) == UInt8(ascii: "a"), (lo | 0x20) == UInt8(ascii: "a") {
                byte = 0xAA
            } else if let h = decimalDigit(hi), let l = decimalDigit(lo) {
                byte = h << 4 | l
            } else {
                throw .invalidAddress(text)
            }
            // Pair 0 is the highest byte, which goes last on the wire.
            packed |= UInt64(byte) << (8 * UInt64(5 - pair))
        }
        self.init(packed: packed)
    }

    /// Reads six wire bytes (low byte first).
    public init<C: Collection<UInt8>>(wireBytes bytes: C) throws(DLT645Error) {
        guard bytes.count == 6 else { throw .invalidAddress("\(bytes.count) bytes") }
        var packed: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            guard b == 0xAA || BCD.value(of: b) != nil else {
                throw .invalidAddress(bytes.map { hex($0) }.joined(separator: " "))
            }
            packed |= UInt64(b) << (8 * UInt64(i))
        }
        self.init(packed: packed)
    }

    /// The six bytes as sent, low byte first.
    public var wireBytes: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: packed >> (8 * UInt64($0))) }
    }

    /// Wire byte `i` (0 = lowest digits).
    @inlinable
    public func wireByte(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: packed >> (8 * UInt64(i))) }

    /// The address as a number, or nil when it holds wildcard bytes.
    public var number: UInt64? {
        var result: UInt64 = 0
        for i in (0..<6).reversed() {
            guard let v = BCD.value(of: wireByte(i)) else { return nil }
            result = result * 100 + UInt64(v)
        }
        return result
    }

    /// True for `999999999999`.
    public var isBroadcast: Bool { self == .broadcast }
    /// True when any byte is the `AAH` wildcard.
    public var hasWildcard: Bool { (0..<6).contains { wireByte($0) == 0xAA } }

    /// Whether a meter at `concrete` answers a request sent to this address: equal bytes, or
    /// `AAH` wildcard bytes here.
    public func matches(_ concrete: MeterAddress) -> Bool {
        for i in 0..<6 {
            let mine = wireByte(i)
            if mine != 0xAA && mine != concrete.wireByte(i) { return false }
        }
        return true
    }

    /// The 12-character nameplate form, highest digits first; wildcard bytes print as `AA`.
    public var description: String {
        var out = ""
        for i in (0..<6).reversed() {
            let b = wireByte(i)
            if b == 0xAA {
                out += "AA"
            } else {
                out.append(Character(Unicode.Scalar(UInt8(ascii: "0") + (b >> 4))))
                out.append(Character(Unicode.Scalar(UInt8(ascii: "0") + (b & 0x0F))))
            }
        }
        return out
    }

    public static func < (lhs: MeterAddress, rhs: MeterAddress) -> Bool {
        (lhs.number ?? .max, lhs.packed) < (rhs.number ?? .max, rhs.packed)
    }
}

@inline(__always)
private func decimalDigit(_ c: UInt8) -> UInt8? {
    c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : nil
}
