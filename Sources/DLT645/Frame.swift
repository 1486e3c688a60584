/// One DL/T 645-2007 link-layer frame:
/// `[FE…] 68 A0…A5 68 C L DATA(+33H) CS 16`.
///
/// `data` holds the plain bytes; the +33H offset is applied by `encode` and removed by the decoder.
public struct Frame: Hashable, Sendable, CustomStringConvertible {
    public var address: MeterAddress
    public var control: ControlCode
    public var data: [UInt8]

    /// The data field can never exceed what one length byte counts.
    public static let maxDataLength = 255
    /// Bytes in a frame around its data: 68, address, 68, C, L, CS, 16.
    public static let overhead = 12

    public init(address: MeterAddress, control: ControlCode, data: [UInt8] = []) {
        self.address = address
        self.control = control
        self.data = data
    }

    /// The bytes on the wire, with `preamble` wake-up bytes (FEH, 0...4) ahead of the frame.
    public func encode(preamble: Int = 0) throws(DLT645Error) -> [UInt8] {
        guard data.count <= Frame.maxDataLength else {
            throw .dataTooLong(length: data.count, limit: Frame.maxDataLength)
        }
        var out = [UInt8](repeating: 0xFE, count: max(0, min(preamble, 4)))
        out.reserveCapacity(out.count + Frame.overhead + data.count)
        encode(into: &out)
        return out
    }

    /// Appends the frame (no preamble) to `out`; `data` must fit one length byte.
    public func encode(into out: inout [UInt8]) {
        let start = out.count
        out.append(0x68)
        for i in 0..<6 { out.append(address.wireByte(i)) }
        out.append(0x68)
        out.append(control.rawValue)
        out.append(UInt8(truncatingIfNeeded: data.count))
        for b in data { out.append(b &+ 0x33) }
        out.append(Frame.checksum(out[start...]))
        out.append(0x16)
    }

    /// Sum of the bytes from the first 68H through the last data byte, modulo 256.
    @inlinable
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        var sum: UInt8 = 0
        for b in bytes { sum &+= b }
        return sum
    }

    /// The data bytes with any password shown as `**`, so a frame in a log line or an error
    /// message never carries a meter password (issue 6: access control).
    public var description: String {
        let secret = passwordRange
        let shown = data.indices.map { secret.contains($0) ? "**" : hex(data[$0]) }
        return "Frame(\(address) C=\(control) L=\(data.count) data=[\(shown.joined(separator: " "))])"
    }

    /// Where a master request carries passwords (PA P0 P1 P2, 4 bytes each): first for remote
    /// control and the clear commands; after the DI for a write; old and new for a password change.
    var passwordRange: Range<Int> {
        guard !control.isReply else { return 0..<0 }
        let range: Range<Int>
        switch control.function {
        case .remoteControl, .clearMaxDemand, .clearMeter, .clearEvents: range = 0..<4
        case .write: range = 4..<8
        case .changePassword: range = 4..<12
        default: return 0..<0
        }
        return range.clamped(to: 0..<data.count)
    }
}
