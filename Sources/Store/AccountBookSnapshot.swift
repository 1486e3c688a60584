import ChargeControl
import Foundation

/// The account book written to a file beside the database at a graceful stop, so that the next
/// start reads it instead of decoding every account row (issue 15, p6: a million rows took 3 s).
///
/// It is a decoded copy of the `account` table, and it counts only while the database says so:
/// the stop writes it when every account is folded into its row, then stores its token in
/// `account_book.snapshot_token`; any insert, update or delete of an account row clears that
/// token (triggers, schema v16), and so does every start. A file whose token, format or schema
/// does not match is not read: the start decodes the rows as before.
///
/// Layout (little-endian): magic, token, schema (the last migration applied), account count,
/// the names table, then per account its id, meter address, seven name numbers (terminal,
/// tariff, region, class, relay, control state, fee control), three flags and eighteen numbers;
/// then the end magic and the count again, so that a short file is refused.
enum AccountBookSnapshot {
    /// Why a snapshot was not read or not written.
    struct Refused: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let magic: UInt64 = 0x3130_4B4F_4F42_4343 // "CCBOOK01"
    static let endMagic: UInt64 = 0x444E_454B_4F4F_4243 // "CBOOKEND"

    /// The file beside the database at `database`.
    static func path(forDatabase database: String) -> String { database + "-book" }

    /// Writes the accounts (every one folded: nothing unfolded in any slot) to `path`
    /// atomically and durably; returns the bytes written.
    static func write(_ accounts: PackedAccounts, token: String, schema: String, to path: String) throws -> Int {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw Refused("cannot create \(temporary)")
        }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        var out = ByteWriter(file: file)
        do {
            out.u64(magic)
            out.text32(token)
            out.text32(schema)
            out.u64(UInt64(accounts.count))
            let enumNames = EnumNames(accounts.names)
            out.u32(UInt32(enumNames.table.count))
            for name in enumNames.table { out.text32(name) }
            try accounts.forEachSlot { id, slot in
                guard slot.unfoldedLower == PackedAccounts.none else { throw Refused("account \(id) has readings not folded into its row") }
                try out.slot(id, slot, enumNames)
            }
            out.u64(endMagic)
            out.u64(UInt64(accounts.count))
            try out.flush()
            try file.synchronize()
            try file.close()
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try DurableFile.rename(temporary, to: path)
        return out.written
    }

    /// The accounts in the file at `path`, when it carries `token` and `schema`.
    static func read(from path: String, token: String, schema: String) throws -> PackedAccounts {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw Refused("cannot read \(path): \(error.localizedDescription)")
        }
        return try data.withUnsafeBytes { bytes throws -> PackedAccounts in
            var input = ByteReader(bytes: bytes)
            guard try input.u64() == magic else { throw Refused("\(path) is not an account book snapshot of this format") }
            guard try input.text32() == token else { throw Refused("\(path) is not the snapshot the database names") }
            let written = try input.text32()
            guard written == schema else { throw Refused("\(path) was written at schema \(written), the database is at \(schema)") }
            let count = Int(try input.u64())
            let nameCount = Int(try input.u32())
            var names: [String] = []
            names.reserveCapacity(nameCount)
            for _ in 0..<nameCount { names.append(try input.text32()) }
            var accounts = PackedAccounts(names: names, reserving: count)
            let enums = EnumValues(names)
            for _ in 0..<count {
                let (id, slot) = try input.slot(enums, names: names.count)
                guard accounts.insert(id, slot) else { throw Refused("account \(id) is in \(path) twice") }
            }
            guard try input.u64() == endMagic, try input.u64() == UInt64(count) else { throw Refused("\(path) is cut short or damaged") }
            return accounts
        }
    }

    /// The names table as written: the book's names, then the raw values of the states it
    /// lacks, so that every state is a name number too.
    private struct EnumNames {
        var table: [String]
        var numbers: [String: UInt32]

        init(_ names: PackedAccounts.Names) {
            table = names.strings
            numbers = names.numbers
            let raw = RelayState.allCases.map(\.rawValue) + AccountControlState.allCases.map(\.rawValue)
                + FeeControlState.allCases.map(\.rawValue)
            for value in raw where numbers[value] == nil {
                numbers[value] = UInt32(table.count)
                table.append(value)
            }
        }
    }

    /// Each name's value as a relay, control and fee-control state, where it is one.
    private struct EnumValues {
        let relay: [RelayState?]
        let state: [AccountControlState?]
        let feeControl: [FeeControlState?]

        init(_ names: [String]) {
            relay = names.map(RelayState.init(rawValue:))
            state = names.map(AccountControlState.init(rawValue:))
            feeControl = names.map(FeeControlState.init(rawValue:))
        }
    }

    /// Bytes out, through a buffer flushed to the file a few MiB at a time.
    private struct ByteWriter {
        let file: FileHandle
        var buffer: [UInt8] = []
        var written = 0

        init(file: FileHandle) {
            self.file = file
            buffer.reserveCapacity(1 << 22)
        }

        mutating func u8(_ v: UInt8) { buffer.append(v) }
        mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }
        mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

        mutating func text32(_ s: String) {
            u32(UInt32(s.utf8.count))
            buffer.append(contentsOf: s.utf8)
        }

        mutating func text16(_ s: String) throws {
            guard s.utf8.count <= Int(UInt16.max) else { throw Refused("a name of \(s.utf8.count) bytes is too long for a snapshot") }
            u16(UInt16(s.utf8.count))
            buffer.append(contentsOf: s.utf8)
        }

        mutating func slot(_ id: String, _ s: PackedAccounts.Slot, _ enums: EnumNames) throws {
            try text16(id)
            try text16(s.meterAddress)
            u32(s.terminal)
            u32(s.tariff)
            u32(s.region)
            u32(s.customerClass)
            guard let relay = enums.numbers[s.relay.rawValue], let state = enums.numbers[s.state.rawValue],
                  let feeControl = enums.numbers[s.feeControl.rawValue] else { throw Refused("a state is not in the names table") }
            u32(relay)
            u32(state)
            u32(feeControl)
            u8(s.meterAlarm ? 1 : 0)
            u8(s.keepPower ? 1 : 0)
            u8(s.isProtected ? 1 : 0)
            i64(s.alarm)
            i64(s.trip)
            i64(s.balance)
            i64(s.tierYearStart)
            i64(s.tierYearUsed)
            i64(s.lastReadingID)
            i64(s.lastReadingAt)
            i64(s.meterStateAt)
            i64(s.alarm2At)
            i64(s.baselineCollectedAt)
            i64(s.baselineMeterTime)
            i64(s.baselineTotal)
            i64(s.baselineRegisters.0)
            i64(s.baselineRegisters.1)
            i64(s.baselineRegisters.2)
            i64(s.baselineRegisters.3)
            i64(s.rowChargedThrough)
            i64(s.billed)
            if buffer.count >= 1 << 22 { try flush() }
        }

        mutating func flush() throws {
            try file.write(contentsOf: buffer)
            written += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Bytes in, each read checked against the end.
    private struct ByteReader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        private mutating func take(_ n: Int) throws -> Int {
            guard n >= 0, offset + n <= bytes.count else { throw Refused("the snapshot ends early") }
            defer { offset += n }
            return offset
        }

        mutating func u8() throws -> UInt8 { bytes[try take(1)] }
        mutating func u16() throws -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2), as: UInt16.self)) }
        mutating func u32() throws -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self)) }
        mutating func u64() throws -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self)) }
        mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

        mutating func text(_ length: Int) throws -> String {
            let start = try take(length)
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<start + length]), as: UTF8.self)
        }

        mutating func text32() throws -> String { try text(Int(try u32())) }
        mutating func text16() throws -> String { try text(Int(try u16())) }

        /// A name number that indexes the table (or stands for none, where `optional`).
        mutating func name(_ count: Int, optional: Bool = false) throws -> UInt32 {
            let n = try u32()
            guard Int(n) < count || (optional && n == PackedAccounts.noName) else { throw Refused("a name number is out of range") }
            return n
        }

        mutating func slot(_ enums: EnumValues, names: Int) throws -> (String, PackedAccounts.Slot) {
            let id = try text16()
            let meter = try text16()
            let terminal = try name(names), tariff = try name(names), region = try name(names)
            let customerClass = try name(names, optional: true)
            guard let relay = enums.relay[Int(try name(names))], let state = enums.state[Int(try name(names))],
                  let feeControl = enums.feeControl[Int(try name(names))] else { throw Refused("account \(id) has a state out of place") }
            let meterAlarm = try u8() != 0, keepPower = try u8() != 0, isProtected = try u8() != 0
            let slot = PackedAccounts.Slot(
                meterAddress: meter, terminal: terminal, tariff: tariff, region: region, customerClass: customerClass,
                alarm: try i64(), trip: try i64(), balance: try i64(), tierYearStart: try i64(), tierYearUsed: try i64(),
                lastReadingID: try i64(), lastReadingAt: try i64(), meterStateAt: try i64(), alarm2At: try i64(),
                relay: relay, meterAlarm: meterAlarm, keepPower: keepPower, isProtected: isProtected, state: state,
                feeControl: feeControl, baselineCollectedAt: try i64(), baselineMeterTime: try i64(), baselineTotal: try i64(),
                baselineRegisters: (try i64(), try i64(), try i64(), try i64()),
                unfolded: 0, unfoldedLower: PackedAccounts.none, unfoldedUpper: PackedAccounts.none,
                rowChargedThrough: try i64(), billed: try i64(), unfoldedEnergy: 0)
            return (id, slot)
        }
    }
}
