import DLT645
import Foundation
import Testing
@testable import MeterSim

/// The simulator over TCP on 127.0.0.1, started in-process on free ports.
@Suite struct EndToEndTests {
    let meter = addr("000000000003")

    @Test func relayCycleOverTCP() async throws {
        let fleet = try makeFleet(testConfiguration(admin: true))
        try await MeterSimulator.withRunning(fleet) { endpoints in
            #expect(endpoints.terminalPorts.count == 2)
            #expect(endpoints.terminalPorts[1] == endpoints.terminalPorts[0] + 1)
            let client = try await TestClient.connect(port: endpoints.terminalPorts[0])
            defer { Task { await client.close() } }
            let status = Request.read(meter, .statusWord3)

            #expect(try await client.exchange(.remoteControl(meter, control(.trip))) == .acknowledged(meter, .remoteControl))
            #expect(statusWord(of: try await client.exchange(status)) == [.moneyPrepaid, .relayOpen, .relayCommandedOpen])

            #expect(try await client.exchange(.remoteControl(meter, control(.allowClose))) == .acknowledged(meter, .remoteControl))
            #expect(statusWord(of: try await client.exchange(status)) == [.moneyPrepaid, .relayOpen])
            #expect(fleet.snapshot(meter)?.relay == "armed")

            // The customer presses the button, through the admin API.
            let admin = try #require(endpoints.admin)
            let (body, code) = try await http("POST", admin, "/meters/000000000003", #"{"press_button": true}"#)
            #expect(code == 200)
            #expect(body.contains(#""relay":"closed""#))
            #expect(statusWord(of: try await client.exchange(status)) == [.moneyPrepaid])

            #expect(try await client.exchange(.remoteControl(meter, control(.trip, password: "02111111")))
                == .abnormal(meter, .remoteControl, ErrorWord(0x04)))
            #expect(try await client.exchange(.remoteControl(meter, control(.trip, deadline: pastDeadline)))
                == .abnormal(meter, .remoteControl, ErrorWord(0x01)))
            #expect(try await client.exchange(.remoteControl(meter, control(.keepPower))) == .acknowledged(meter, .remoteControl))
            #expect(try await client.exchange(.remoteControl(meter, control(.trip)))
                == .abnormal(meter, .remoteControl, ErrorWord(0x01)))
            #expect(statusWord(of: try await client.exchange(status)) == [.moneyPrepaid, .keepPower])
        }
    }

    @Test func silenceForAddressesTheTerminalDoesNotServe() async throws {
        let fleet = try makeFleet(testConfiguration())
        try await MeterSimulator.withRunning(fleet) { endpoints in
            let client = try await TestClient.connect(port: endpoints.terminalPorts[0])
            defer { Task { await client.close() } }
            // Meter 15 lives on terminal 1; 999 nowhere. No reply within 300 ms is the expected outcome.
            #expect(try await client.exchange(.read(addr("000000000015"), .forwardActiveTotal), timeout: .milliseconds(300)) == nil)
            #expect(try await client.exchange(.read(addr("000000000999"), .forwardActiveTotal), timeout: .milliseconds(300)) == nil)
            // The line still works afterwards.
            #expect(try await client.exchange(.read(meter, .forwardActiveTotal)) != nil)
        }
    }

    @Test func dropAndNakWithCertainty() async throws {
        let read = Request.read(meter, .forwardActiveTotal)
        try await MeterSimulator.withRunning(try makeFleet(testConfiguration(faults: FaultConfiguration(drop: 1)))) { endpoints in
            let client = try await TestClient.connect(port: endpoints.terminalPorts[0])
            defer { Task { await client.close() } }
            #expect(try await client.exchange(read, timeout: .milliseconds(300)) == nil)
        }
        try await MeterSimulator.withRunning(try makeFleet(testConfiguration(faults: FaultConfiguration(nak: 1)))) { endpoints in
            let client = try await TestClient.connect(port: endpoints.terminalPorts[0])
            defer { Task { await client.close() } }
            #expect(try await client.exchange(read) == .abnormal(meter, .read, ErrorWord(0x01)))
        }
    }

    @Test func severalFramesInOneWriteAreAnsweredInOrder() async throws {
        let fleet = try makeFleet(testConfiguration())
        try await MeterSimulator.withRunning(fleet) { endpoints in
            let client = try await TestClient.connect(port: endpoints.terminalPorts[0])
            defer { Task { await client.close() } }
            for n in 1...5 { try await client.send(Request.read(addr("00000000000\(n)"), .communicationAddress).frame) }
            for n in 1...5 {
                guard case .frame(let frame)? = await client.nextEvent() else {
                    Issue.record("missing reply \(n)")
                    return
                }
                #expect(frame.address == addr("00000000000\(n)"))
            }
        }
    }
}

/// One HTTP/1.1 request over a raw socket; returns the body and status code.
func http(_ method: String, _ target: HostAndPort, _ path: String, _ body: String = "") async throws -> (String, Int) {
    let client = try await RawTCP.connect(host: target.host, port: target.port)
    defer { Task { await client.close() } }
    let request = "\(method) \(path) HTTP/1.1\r\nHost: \(target.host)\r\nContent-Type: application/json\r\n"
        + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    let response = try await client.roundTrip(Array(request.utf8))
    let text = String(decoding: response, as: UTF8.self)
    let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
    let payload = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (payload, status)
}
