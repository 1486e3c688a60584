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
}
