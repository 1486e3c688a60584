import DLT645
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import MeterSim

/// The admin HTTP API through Hummingbird's router test framework.
@Suite struct AdminAPITests {
    func withApp(_ fleet: MeterFleet, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: AdminAPI.router(fleet: fleet))
        try await app.test(.router, body)
    }

    func object(_ response: TestResponse) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
        return try #require(json as? [String: Any])
    }

    @Test func getOneMeter() async throws {
        let clock = ManualClock(unixSeconds: noonShanghai)
        let fleet = try makeFleet(testConfiguration(loadWatts: 0), clock: clock)
        _ = fleet.apply(MeterChange(totalHundredths: 123_456), to: addr("000000000012"))
        try await withApp(fleet) { client in
            try await client.execute(uri: "/meters/000000000012", method: .get) { response in
                #expect(response.status == .ok)
                let json = try object(response)
                #expect(json["address"] as? String == "000000000012")
                #expect(json["terminal"] as? Int == 1)
                #expect(json["relay"] as? String == "closed")
                #expect(json["alarm"] as? Bool == false)
                #expect(json["keep_power"] as? Bool == false)
                #expect(json["total_kwh"] as? String == "1234.56")
                let registers = try #require(json["registers"] as? [String: String])
                #expect(registers == ["sharp": "0.00", "peak": "0.00", "flat": "1234.56", "valley": "0.00"])
            }
            try await client.execute(uri: "/meters/000000000099", method: .get) { response in
                #expect(response.status == .notFound)
                let json = try object(response)
                #expect(json["error"] as? String == "no simulated meter 000000000099")
            }
            try await client.execute(uri: "/meters/12x", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func changeAndList() async throws {
        let fleet = try makeFleet(testConfiguration())
        try await withApp(fleet) { client in
            for n in ["000000000002", "000000000017"] {
                try await client.execute(uri: "/meters/\(n)", method: .post,
                                         body: ByteBuffer(string: #"{"relay": "open", "alarm": true}"#)) { response in
                    #expect(response.status == .ok)
                    let json = try object(response)
                    #expect(json["relay"] as? String == "open")
                }
            }
            try await client.execute(uri: "/meters?relay=open", method: .get) { response in
                #expect(response.status == .ok)
                let list = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]
                #expect(list?.compactMap { $0["address"] as? String } == ["000000000002", "000000000017"])
            }
            try await client.execute(uri: "/meters?relay=sideways", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/meters/000000000002", method: .post,
                                     body: ByteBuffer(string: #"{"offline": true, "total_kwh": "5.5", "block_reads": false}"#)) { response in
                let json = try object(response)
                #expect(json["offline"] as? Bool == true)
                #expect(json["total_kwh"] as? String == "5.50")
                #expect(json["block_reads"] as? Bool == false)
            }
        }
        #expect(fleet.exchange(.read(addr("000000000002"), .forwardActiveTotal)) == nil, "offline")
    }

    @Test func badBodiesAreRefusedByName() async throws {
        let fleet = try makeFleet(testConfiguration())
        let cases: [(String, String)] = [
            (#"{"total_kwh": "1.234"}"#, "total_kwh"),
            (#"{"total_kwh": 12}"#, "total_kwh"),
            (#"{"relay": "sideways"}"#, "relay"),
            (#"{"offline": "yes"}"#, "offline"),
            (#"{"colour": "red"}"#, "colour"),
            (#"{"clock_offset_s": "60"}"#, "clock_offset_s"),
            (#"{"clock_offset_s": 1.5}"#, "clock_offset_s"),
            (#"{"clock_offset_s": 400000000}"#, "clock_offset_s"),
            (#"{"clock_offset_s": true}"#, "clock_offset_s"),
            (#"{"read_back_lies": "yes"}"#, "read_back_lies"),
            (#"{"read_back_lies": 1}"#, "read_back_lies"),
            ("not json", "JSON object"),
        ]
        try await withApp(fleet) { client in
            for (body, named) in cases {
                try await client.execute(uri: "/meters/000000000001", method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    let json = try object(response)
                    #expect((json["error"] as? String)?.contains(named) == true, "\(body)")
                }
            }
        }
    }

    @Test func managementFields() async throws {
        let fleet = try makeFleet(testConfiguration())
        let meter = addr("000000000005")
        _ = fleet.exchange(writeRequest(meter, .alarmAmountLimit1, [0x00, 0x20, 0x00, 0x00]))
        _ = fleet.exchange(writeRequest(meter, .tariffPrice(1), [0x80, 0x56, 0x00, 0x00]))
        _ = fleet.exchange(writeRequest(meter, .priceSetSwitchTime, [0x59, 0x23, 0x31, 0x12, 0x26]))
        try await withApp(fleet) { client in
            try await client.execute(uri: "/meters/000000000005", method: .get) { response in
                #expect(response.status == .ok)
                let json = try object(response)
                #expect(json["clock_offset_s"] as? Int == 0)
                #expect(json["writes"] as? Int == 3)
                #expect(json["read_back_lies"] as? Bool == false)
                let parameters = try #require(json["parameters"] as? [String: String])
                #expect(parameters["04001001"] == "20.00")
                #expect(parameters["04001002"] == "0.00")
                #expect(parameters["04001005"] == "0.00")
                #expect(parameters["04050101"] == "0.5680")
                #expect(parameters["04050201"] == "0.0000")
                #expect(parameters["04000108"] == "2612312359")
                #expect(parameters["04000101"] == "25063001")
                #expect(parameters["04000102"] == "120000")
                #expect(parameters.keys.allSatisfy { $0.count == 8 && $0 == $0.uppercased() })
            }
            try await client.execute(uri: "/meters/000000000005", method: .post,
                                     body: ByteBuffer(string: #"{"clock_offset_s": -90, "read_back_lies": true}"#)) { response in
                #expect(response.status == .ok)
                let json = try object(response)
                #expect(json["clock_offset_s"] as? Int == -90)
                #expect(json["read_back_lies"] as? Bool == true)
                #expect((json["parameters"] as? [String: String])?["04000102"] == "115830")
            }
            // A list carries the same fields.
            try await client.execute(uri: "/meters", method: .get) { response in
                let list = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]
                let fifth = try #require(list?.first { $0["address"] as? String == "000000000005" })
                #expect(fifth["clock_offset_s"] as? Int == -90)
                #expect(fifth["writes"] as? Int == 3)
            }
        }
        #expect(value(of: fleet.exchange(.read(meter, .time))) == [0x30, 0x58, 0x11])
        let snapshot = try #require(fleet.snapshot(meter))
        #expect(snapshot.readBackLies && snapshot.clockOffsetSeconds == -90)
    }
}
