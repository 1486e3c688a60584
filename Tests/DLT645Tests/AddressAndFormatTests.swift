import Foundation
import Testing
@testable import DLT645

@Suite("Addresses, codes and number formats")
struct AddressAndFormatTests {
    @Test func addressWireOrder() throws {
        let a = try MeterAddress("123456789012")
        #expect(a.wireBytes == [0x12, 0x90, 0x78, 0x56, 0x34, 0x12])
        #expect(a.description == "123456789012")
        #expect(a.number == 123_456_789_012)
        #expect(try MeterAddress(number: 123_456_789_012) == a)
        #expect(try MeterAddress(wireBytes: a.wireBytes) == a)
        #expect(try MeterAddress("1") == MeterAddress("000000000001"))
    }

    @Test func broadcastAndWildcard() throws {
        #expect(try MeterAddress("999999999999").isBroadcast)
        let wild = try MeterAddress("AAAAAA000001")
        #expect(wild.hasWildcard && wild.number == nil)
        #expect(wild.description == "AAAAAA000001")
        #expect(wild.matches(try MeterAddress("123456000001")))
        #expect(!wild.matches(try MeterAddress("123456000002")))
        #expect(MeterAddress.wildcard.matches(meter1))
        #expect(!meter1.matches(MeterAddress.wildcard))
    }

    @Test(arguments: ["", "1234567890123", "12345678901x", "A1", "-1"])
    func badAddresses(text: String) {
        #expect(throws: DLT645Error.invalidAddress(text)) { try MeterAddress(text) }
    }

    @Test func badWireAddress() {
        #expect(throws: DLT645Error.self) { try MeterAddress(wireBytes: [0x1A, 0, 0, 0, 0, 0]) }
        #expect(throws: DLT645Error.self) { try MeterAddress(number: 1_000_000_000_000) }
    }

    @Test func controlCodeBits() {
        let c = ControlCode(rawValue: 0xB1)
        #expect(c.isReply && !c.isAbnormal && c.hasFollowUp && c.function == .read)
        let e = ControlCode(rawValue: 0xDC)
        #expect(e.isReply && e.isAbnormal && !e.hasFollowUp && e.function == .remoteControl)
        #expect(ControlCode.reply(.read, followUp: true).rawValue == 0xB1)
        #expect(ControlCode.request(.write).rawValue == 0x14)
    }

    @Test func dataIdentifiers() throws {
        #expect(try DataIdentifier("0001FF00") == .forwardActiveBlock)
        #expect(DataIdentifier.forwardActiveBlock.wireBytes == [0x00, 0xFF, 0x01, 0x00])
        #expect(DataIdentifier.forwardActiveTariff(3).description == "00010300")
        #expect(DataIdentifier.tariffPrice(4).description == "04050104")
        #expect(throws: DLT645Error.invalidDataIdentifier("0001FF")) { try DataIdentifier("0001FF") }
        #expect(throws: DLT645Error.invalidDataIdentifier("0001FG00")) { try DataIdentifier("0001FG00") }
    }

    @Test func signedHundredths() throws {
        #expect(try NumberFormat.encodeSignedHundredths(-123_456) == [0x56, 0x34, 0x12, 0x80])
        #expect(try NumberFormat.decodeSignedHundredths([0x56, 0x34, 0x12, 0x80]) == -123_456)
        #expect(try NumberFormat.decodeSignedHundredths([0x99, 0x99, 0x99, 0x79]) == 79_999_999)
        #expect(throws: DLT645Error.self) { try NumberFormat.encodeSignedHundredths(80_000_000) }
        #expect(throws: DLT645Error.invalidBCD(byte: 0x5A, index: 0)) { try NumberFormat.decodeSignedHundredths([0x5A, 0, 0, 0]) }
        #expect(throws: DLT645Error.self) { try NumberFormat.decodeSignedHundredths([0, 0, 0]) }
    }

    @Test func unsignedAndPrices() throws {
        #expect(try NumberFormat.encodeUnsignedHundredths(99_999_999) == [0x99, 0x99, 0x99, 0x99])
        #expect(throws: DLT645Error.self) { try NumberFormat.encodeUnsignedHundredths(-1) }
        #expect(throws: DLT645Error.self) { try NumberFormat.encodeUnsignedHundredths(100_000_000) }
        #expect(try NumberFormat.decodeTenThousandths(NumberFormat.encodeTenThousandths(5383)) == 5383)
        #expect(MeterUnits.microYuanPerKWh(fromPriceUnits: 5383) == 538_300)
        #expect(try MeterUnits.priceUnits(fromMicroYuanPerKWh: 538_300) == 5383)
        #expect(throws: DLT645Error.self) { try MeterUnits.priceUnits(fromMicroYuanPerKWh: 538_301) }
        #expect(try MeterUnits.fen(fromMicroYuan: 20_000_000) == 2000)
        #expect(throws: DLT645Error.self) { try MeterUnits.fen(fromMicroYuan: 20_000_001) }
    }

    @Test func passwordsNeverPrint() throws {
        let p = try Password("02123456")
        #expect(p.bytes == [0x02, 0x12, 0x34, 0x56])
        #expect(p.level == 0x02)
        #expect(!p.description.contains("123456"))
        #expect(throws: DLT645Error.self) { try Password("0212345") }
        #expect(throws: DLT645Error.self) { try Password("0212345G") }
        #expect(try OperatorCode("00000001").wireBytes == [1, 0, 0, 0])
    }

    @Test func dateTimes() throws {
        let t = try MeterDateTime(year: 2026, month: 11, day: 22, hour: 8, minute: 5, second: 9)
        #expect(t.weekday == 0)  // 2026-11-22 is a Sunday
        #expect(t.dateWireBytes == [0x00, 0x22, 0x11, 0x26])
        #expect(t.timeWireBytes == [0x09, 0x05, 0x08])
        #expect(try MeterDateTime(wireBytes: t.wireBytes) == t)
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        let instant = t.date(in: shanghai)!
        #expect(try MeterDateTime(instant, in: shanghai) == t)
        #expect(throws: DLT645Error.self) { try MeterDateTime(year: 2026, month: 2, day: 29, hour: 0, minute: 0, second: 0) }
        #expect(throws: DLT645Error.self) { try MeterDateTime(wireBytes: [0x60, 0, 0, 1, 1, 0x25]) }
        #expect(try MeterDateTime(year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 0).weekday == 4)
    }

    @Test func errorWordDescriptions() {
        #expect(ErrorWord(esam: 0x0020).isKeepPowerRefusal)
        #expect(ErrorWord(esam: 0x0004).isUnauthorized)
        #expect(ErrorWord(esam: 0x0020).description.contains("keep-power"))
        #expect(ErrorWord(esam: 0x0102).wireBytes == [0x02, 0x01])
    }

    @Test func replyMatching() throws {
        let read = Request.read(meter1, .forwardActiveTotal)
        #expect(Reply.data(meter1, .forwardActiveTotal, value: [0, 0, 0, 0], followUp: false).answers(read))
        #expect(!Reply.data(try MeterAddress("2"), .forwardActiveTotal, value: [], followUp: false).answers(read))
        #expect(!Reply.acknowledged(meter1, .remoteControl).answers(read))
        #expect(Reply.abnormal(meter1, .read, ErrorWord(2)).answers(read))
        // A late reply for another item of the same meter is not the answer.
        #expect(!Reply.data(meter1, .remainingAmount, value: [0, 0, 0, 0], followUp: false).answers(read))
        let wild = Request.read(try MeterAddress("AAAAAAAAAA01"), .forwardActiveTotal)
        #expect(Reply.data(meter1, .forwardActiveTotal, value: [], followUp: false).answers(wild))
    }

    @Test func followUpReplies() throws {
        let request = Request.readFollowUp(meter1, .forwardActiveBlock, sequence: 2)
        let reply = Reply.followUpData(meter1, .forwardActiveBlock, value: [1, 2, 3, 4], sequence: 2, followUp: true)
        #expect(reply.frame.control.rawValue == 0xB2)
        #expect(try Reply(frame: reply.frame) == reply)
        #expect(reply.answers(request))
        #expect(!Reply.data(meter1, .forwardActiveBlock, value: [1, 2, 3, 4], followUp: false).answers(request))
        #expect(throws: DLT645Error.self) { try Reply(frame: Frame(address: meter1, control: .reply(.readFollowUp), data: [0, 0, 1, 0])) }
    }

    @Test func malformedReplies() throws {
        #expect(throws: DLT645Error.self) { try Reply(frame: Frame(address: meter1, control: .reply(.read), data: [1, 2])) }
        #expect(throws: DLT645Error.self) { try Reply(frame: Frame(address: meter1, control: .reply(.remoteControl, abnormal: true), data: [])) }
        #expect(throws: DLT645Error.self) { try Reply(frame: Frame(address: meter1, control: .reply(.remoteControl), data: [1])) }
        #expect(throws: DLT645Error.unexpectedDirection(control: 0x11)) { try Reply(frame: Request.read(meter1, .date).frame) }
        #expect(throws: DLT645Error.unexpectedDirection(control: 0x91)) {
            try Request(frame: Reply.data(meter1, .date, value: [], followUp: false).frame)
        }
        var rc = Request.remoteControl(meter1, RemoteControl(password: try Password("02000000"), operatorCode: OperatorCode(rawValue: 1),
                                                             command: .trip, deadline: try MeterDateTime(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))).frame
        rc.data[8] = 0x99
        #expect(throws: DLT645Error.unknownControlCommand(0x99)) { try Request(frame: rc) }
        let twoByte = try Reply(frame: Frame(address: meter1, control: .reply(.remoteControl, abnormal: true), data: [0x20, 0x00]))
        #expect(twoByte == .abnormal(meter1, .remoteControl, ErrorWord(esam: 0x0020)))
    }
}

@Suite struct MeterParameterFormatTests {
    @Test(arguments: [
        (ParameterFormat.amount, "20.00", [0x00, 0x20, 0x00, 0x00] as [UInt8], "20.00"),
        (.amount, "20", [0x00, 0x20, 0x00, 0x00], "20.00"),
        (.amount, "999999.99", [0x99, 0x99, 0x99, 0x99], "999999.99"),
        (.price, "0.5283", [0x83, 0x52, 0x00, 0x00], "0.5283"),
        (.price, "0.5", [0x00, 0x50, 0x00, 0x00], "0.5000"),
        (.minuteStamp, "2612312359", [0x59, 0x23, 0x31, 0x12, 0x26], "2612312359"),
        (.timeOfDay, "083000", [0x00, 0x30, 0x08], "083000"),
        (.dateWeekday, "26120600", [0x00, 0x06, 0x12, 0x26], "26120600"),
    ])
    func valuesGoOnTheWireAndBack(format: ParameterFormat, text: String, wire: [UInt8], shown: String) throws {
        #expect(try format.encode(text) == wire)
        #expect(try format.text(of: wire) == shown)
    }

    @Test(arguments: [
        (ParameterFormat.amount, "20.001"), (.amount, "-1.00"), (.amount, "1000000.00"), (.amount, ""), (.amount, "1.2.3"),
        (.price, "0.12345"), (.price, "abc"), (.minuteStamp, "26123123"), (.timeOfDay, "8300"), (.amount, "٣.00"),
    ])
    func badValuesAreRefusedWithTheFormatNamed(format: ParameterFormat, text: String) {
        #expect(throws: DLT645Error.self) { try format.encode(text) }
    }

    @Test func theWritableParametersAreTheOnesTheStationPushes() throws {
        #expect(MeterParameter.named(.alarmAmountLimit1)?.format == .amount)
        #expect(MeterParameter.named(try DataIdentifier("04050203"))?.format == .price)
        #expect(MeterParameter.named(try DataIdentifier("04000108"))?.format == .minuteStamp)
        #expect(MeterParameter.named(.forwardActiveTotal) == nil)
        // PROTOCOL.md example: read 04001001 goes on the wire as 01 10 00 04.
        #expect(DataIdentifier.alarmAmountLimit1.wireBytes == [0x01, 0x10, 0x00, 0x04])
    }
}
