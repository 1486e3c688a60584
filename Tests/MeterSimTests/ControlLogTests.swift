import DLT645
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import MeterSim

/// `--record-controls`: every 1CH request a meter receives is logged with its fate, and the admin
/// API shows the log.
@Suite struct ControlLogTests {
    func recording(_ faults: FaultConfiguration = FaultConfiguration()) throws -> MeterFleet {
        var configuration = testConfiguration(faults: faults)
        configuration.recordControls = true
        return try makeFleet(configuration)
    }

    @Test func deliveredDroppedAndRefusedRequestsAreLoggedWithTheirFate() throws {
        let delivered = try recording()
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        _ = delivered.exchange(.remoteControl(addr("000000000003"), control(.trip)))
        _ = delivered.exchange(.remoteControl(addr("000000000003"), control(.allowClose, password: "02999999")))
        _ = delivered.exchange(.read(addr("000000000003"), .statusWord3))       // reads are not logged
        let log = try #require(delivered.controlLog).receipts()
        #expect(log.receipts.count == 2)
        #expect(!log.truncated)
        let trip = try #require(log.receipts.first)
        #expect(trip.address == "000000000003")
        #expect(trip.command == "trip")
        #expect(trip.deadline == futureDeadline.description)
        #expect(trip.fate == "deliver")
        #expect(trip.executed)
        #expect(trip.atMillis >= before)
        #expect(log.receipts[1].command == "allow_close")
        #expect(!log.receipts[1].executed, "a wrong password is refused")
        #expect(delivered.controlLog?.receipts(from: 1).receipts == [log.receipts[1]])

        let dropped = try recording(FaultConfiguration(drop: 1))
        _ = dropped.exchange(.remoteControl(addr("000000000004"), control(.alarm)))
        #expect(dropped.controlLog?.receipts().receipts.map { "\($0.fate) \($0.executed)" } == ["drop false"])
        let refused = try recording(FaultConfiguration(nak: 1))
        _ = refused.exchange(.remoteControl(addr("000000000004"), control(.alarm)))
        #expect(refused.controlLog?.receipts().receipts.map { "\($0.fate) \($0.executed)" } == ["nak false"])
        let garbled = try recording(FaultConfiguration(garble: 1))
        _ = garbled.exchange(.remoteControl(addr("000000000004"), control(.alarm)))
        #expect(garbled.controlLog?.receipts().receipts.map { "\($0.fate) \($0.executed)" } == ["garble true"])
        #expect(try makeFleet(testConfiguration()).controlLog == nil, "off unless asked for")
    }

    @Test func adminAPIShowsTheLogFromAnIndex() async throws {
        let fleet = try recording()
        _ = fleet.exchange(.remoteControl(addr("000000000001"), control(.alarm)))
        _ = fleet.exchange(.remoteControl(addr("000000000001"), control(.trip)))
        let app = Application(router: AdminAPI.router(fleet: fleet))
        try await app.test(.router) { client in
            try await client.execute(uri: "/controls?from=1", method: .get) { response in
                #expect(response.status == .ok)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(json["from"] as? Int == 1)
                #expect(json["truncated"] as? Bool == false)
                let receipts = try #require(json["receipts"] as? [[String: Any]])
                #expect(receipts.count == 1)
                #expect(receipts.first?["command"] as? String == "trip")
                #expect(receipts.first?["at_ms"] is Int)
            }
            try await client.execute(uri: "/controls?from=-1", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
        let silent = Application(router: AdminAPI.router(fleet: try makeFleet(testConfiguration())))
        try await silent.test(.router) { client in
            try await client.execute(uri: "/controls", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
