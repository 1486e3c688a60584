import Testing
@testable import DLT645

/// Every example frame of PROTOCOL.md §5 (and the §1 capture), byte for byte, both ways.
@Suite("PROTOCOL.md example frames")
struct ProtocolExampleTests {
    static let password = try! Password("02123456")
    static let operatorCode = try! OperatorCode("00000001")
    static let deadline = try! MeterDateTime(year: 2025, month: 12, day: 31, hour: 23, minute: 59, second: 59)

    @Test func readForwardActiveTotalWithPreamble() throws {
        let wire = bytes("FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16")
        let request = Request.read(meter1, .forwardActiveTotal)
        #expect(try request.frame.encode(preamble: 4) == wire)
        let decoded = frames(decodeAll(wire))
        #expect(decoded == [request.frame])
        #expect(try Request(frame: decoded[0]) == request)
    }

    @Test func readReply1234_56kWh() throws {
        let wire = bytes("68 01 00 00 00 00 00 68 91 08 33 33 34 33 89 67 45 33 9F 16")
        let value = try NumberFormat.encodeUnsignedHundredths(123_456)
        let reply = Reply.data(meter1, .forwardActiveTotal, value: value, followUp: false)
        #expect(try reply.frame.encode() == wire)
        let decoded = try Reply(frame: frames(decodeAll(wire))[0])
        #expect(decoded == reply)
        guard case .data(_, _, let v, _) = decoded else { Issue.record("not data"); return }
        #expect(try NumberFormat.decodeUnsignedHundredths(v) == 123_456)
    }

    @Test(arguments: [
        (RemoteControlCommand.trip, "4D", "23"),
        (.allowClose, "4E", "24"),
        (.alarm, "5D", "33"),
        (.keepPower, "6D", "43"),
    ])
    func remoteControl(command: RemoteControlCommand, n1: String, checksum: String) throws {
        let wire = bytes("68 01 00 00 00 00 00 68 1C 10 35 45 67 89 34 33 33 33 \(n1) 33 8C 8C 56 64 45 58 \(checksum) 16")
        let rc = RemoteControl(password: Self.password, operatorCode: Self.operatorCode, command: command, deadline: Self.deadline)
        let request = Request.remoteControl(meter1, rc)
        #expect(try request.frame.encode() == wire)
        #expect(try Request(frame: frames(decodeAll(wire))[0]) == request)
    }

    @Test func controlAcknowledged() throws {
        let wire = bytes("68 01 00 00 00 00 00 68 9C 00 6D 16")
        let reply = Reply.acknowledged(meter1, .remoteControl)
        #expect(try reply.frame.encode() == wire)
        #expect(try Reply(frame: frames(decodeAll(wire))[0]) == reply)
    }

    @Test func controlRefusedWrongPassword() throws {
        let wire = bytes("68 01 00 00 00 00 00 68 DC 01 37 E5 16")
        let reply = Reply.abnormal(meter1, .remoteControl, ErrorWord(0x04))
        #expect(try reply.frame.encode() == wire)
        let decoded = try Reply(frame: frames(decodeAll(wire))[0])
        #expect(decoded == reply)
        guard case .abnormal(_, _, let err) = decoded else { Issue.record("not abnormal"); return }
        #expect(err.isUnauthorized)
        #expect(err.description.contains("wrong password"))
    }

    @Test func remainingAmount() throws {
        let read = bytes("68 01 00 00 00 00 00 68 11 04 33 35 C3 33 44 16")
        #expect(try Request.read(meter1, .remainingAmount).frame.encode() == read)
        let replyWire = bytes("68 01 00 00 00 00 00 68 91 08 33 35 C3 33 33 33 34 33 95 16")
        let reply = try Reply(frame: frames(decodeAll(replyWire))[0])
        guard case .data(_, .remainingAmount, let v, false) = reply else { Issue.record("\(reply)"); return }
        let fen = try NumberFormat.decodeSignedHundredths(v)
        #expect(fen == 10_000)
        #expect(MeterUnits.microYuan(fromFen: fen) == 100_000_000)
        #expect(try reply.frame.encode() == replyWire)
    }

    @Test func statusWord3() throws {
        #expect(try Request.read(meter1, .statusWord3).frame.encode() == bytes("68 01 00 00 00 00 00 68 11 04 36 38 33 37 BE 16"))
        let replyWire = bytes("68 01 00 00 00 00 00 68 91 06 36 38 33 37 83 33 F6 16")
        guard case .data(_, .statusWord3, let v, _) = try Reply(frame: frames(decodeAll(replyWire))[0]) else {
            Issue.record("not a status word reply"); return
        }
        let word = try StatusWord3(wireBytes: v)
        #expect(word.rawValue == 0x0050)
        #expect(word.contains(.relayOpen) && word.contains(.relayCommandedOpen))
        #expect(!word.contains(.preTripAlarm) && !word.contains(.keepPower))
        let back = Reply.data(meter1, .statusWord3, value: word.wireBytes, followUp: false)
        #expect(try back.frame.encode() == replyWire)
    }

    @Test func alarmLimitAndPriceReads() throws {
        #expect(try Request.read(meter1, .alarmAmountLimit1).frame.encode() == bytes("68 01 00 00 00 00 00 68 11 04 34 43 33 37 C7 16"))
        #expect(try Request.read(meter1, .tariffPrice(1)).frame.encode() == bytes("68 01 00 00 00 00 00 68 11 04 34 34 38 37 BD 16"))
        let replyWire = bytes("68 01 00 00 00 00 00 68 91 08 34 34 38 37 B6 85 33 33 E2 16")
        guard case .data(_, let di, let v, _) = try Reply(frame: frames(decodeAll(replyWire))[0]) else {
            Issue.record("not data"); return
        }
        #expect(di == .tariffPrice(1))
        let units = try NumberFormat.decodeTenThousandths(v)
        #expect(units == 5283)
        #expect(MeterUnits.microYuanPerKWh(fromPriceUnits: units) == 528_300)
        #expect(try Reply.data(meter1, di, value: NumberFormat.encodeTenThousandths(5283), followUp: false).frame.encode() == replyWire)
    }

    @Test func errorReplies() throws {
        let noData = bytes("68 01 00 00 00 00 00 68 D1 01 35 D8 16")
        #expect(try Reply.abnormal(meter1, .read, ErrorWord(0x02)).frame.encode() == noData)
        guard case .abnormal(_, .read, let e) = try Reply(frame: frames(decodeAll(noData))[0]) else {
            Issue.record("not abnormal"); return
        }
        #expect(e.isNoRequestedData)
        #expect(try Reply.abnormal(meter1, .write, ErrorWord(0x04)).frame.encode() == bytes("68 01 00 00 00 00 00 68 D4 01 37 DD 16"))
        #expect(try Reply.acknowledged(meter1, .write).frame.encode() == bytes("68 01 00 00 00 00 00 68 94 00 65 16"))
    }

    @Test func readAddress() throws {
        let wire = bytes("68 AA AA AA AA AA AA 68 13 00 DF 16")
        #expect(try Request.readAddress.frame.encode() == wire)
        #expect(try Request(frame: frames(decodeAll(wire))[0]) == .readAddress)
    }

    @Test func broadcastTime() throws {
        let wire = bytes("68 99 99 99 99 99 99 68 08 06 89 67 45 63 39 58 9D 16")
        let t = try MeterDateTime(year: 2025, month: 6, day: 30, hour: 12, minute: 34, second: 56)
        #expect(try Request.broadcastTime(t).frame.encode() == wire)
        let parsed = try Request(frame: frames(decodeAll(wire))[0])
        #expect(parsed == .broadcastTime(t))
        #expect(!parsed.expectsReply)
    }

    @Test func thirdPartyCapture() throws {
        let meter = try MeterAddress("000000000161")
        let read = bytes("FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16")
        #expect(try Request.read(meter, .forwardActiveTotal).frame.encode(preamble: 4) == read)
        let replyWire = bytes("68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16")
        guard case .data(let a, _, let v, _) = try Reply(frame: frames(decodeAll(replyWire))[0]) else {
            Issue.record("not data"); return
        }
        #expect(a == meter)
        #expect(try NumberFormat.decodeUnsignedHundredths(v) == 26)
    }
}
