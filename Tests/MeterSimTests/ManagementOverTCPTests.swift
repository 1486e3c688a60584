import DLT645
import Foundation
import Testing
@testable import MeterSim

/// Meter management through real sockets: 14H and 08H on a terminal port, the result on the
/// admin API.
@Suite struct ManagementOverTCPTests {
    @Test func writeBroadcastAndReadBack() async throws {
        let fleet = try makeFleet(testConfiguration(admin: true))
        let meter = addr("000000000012")
        try await MeterSimulator.withRunning(fleet) { endpoints in
            let admin = try #require(endpoints.admin)
            let client = try await TestClient.connect(port: endpoints.terminalPorts[1])
            defer { Task { await client.close() } }
            let limit: [UInt8] = [0x00, 0x20, 0x00, 0x00]
            #expect(try await client.exchange(writeRequest(meter, .alarmAmountLimit1, limit)) == .acknowledged(meter, .write))
            #expect(try await client.exchange(.read(meter, .alarmAmountLimit1))
                == .data(meter, .alarmAmountLimit1, value: limit, followUp: false))
            #expect(try await client.exchange(writeRequest(meter, .alarmAmountLimit1, limit, password: "02000001"))
                == .abnormal(meter, .write, ErrorWord(0x04)))

            // Two minutes slow, then a broadcast of the right time: the meter takes it, no answer.
            let (_, set) = try await http("POST", admin, "/meters/000000000012", #"{"clock_offset_s": -120}"#)
            #expect(set == 200)
            #expect(try await client.exchange(.read(meter, .time)) == .data(meter, .time, value: [0x00, 0x58, 0x11], followUp: false))
            try await client.send(Request.broadcastTime(dateTime(2025, 6, 30, 12, 0, 0)).frame)
            #expect(try await client.exchange(.read(meter, .time)) == .data(meter, .time, value: [0x00, 0x00, 0x12], followUp: false),
                    "the broadcast got no answer of its own and set the clock")

            let (body, code) = try await http("GET", admin, "/meters/000000000012")
            #expect(code == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["clock_offset_s"] as? Int == 0)
            #expect(json["writes"] as? Int == 1)
            #expect((json["parameters"] as? [String: String])?["04001001"] == "20.00")
        }
    }
}
