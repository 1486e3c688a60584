import LoopbackTools
import DLT645
import Foundation
import Testing
@testable import MeterSim

/// The built `meter-sim` binary (STACK.md pitfall 15: built by `swift build --build-tests`).
@Suite struct ExecutableTests {
    static let binary: URL? = {
        // The test bundle lives in the bin folder next to the executables.
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("meter-sim")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/meter-sim")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }()

    @Test func badFlagStopsWithAMessage() async throws {
        let binary = try #require(Self.binary, "meter-sim not built: run swift build --build-tests")
        let run = try await runToEnd(binary, ["--listen", "127.0.0.1:0", "--meters", "10", "--drop", "1.5"], within: 60)
        #expect(run.status != 0 && !run.signalled)
        #expect(run.stderr.contains("--drop 1.5: probability must be between 0 and 1"))
    }

    @Test func startsReadsAndStopsOnSIGTERM() async throws {
        let binary = try #require(Self.binary, "meter-sim not built: run swift build --build-tests")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--listen", "127.0.0.1:0", "--terminals", "2", "--meters", "20",
                             "--first-address", "000000000101", "--admin", "127.0.0.1:0"]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // Read while it runs, so a chatty log never fills the pipe and stops the simulator.
        let log = PipeReader(stderr.fileHandleForReading)
        let handle = stdout.fileHandleForReading
        let line = try #require(await offThePool { readLine(from: handle) })
        #expect(line.hasPrefix("meter-sim: 2 terminals on 127.0.0.1:"))
        #expect(line.contains("20 meters 000000000101-000000000120"))
        // "… on 127.0.0.1:P-Q, …": the first port.
        let portText = try #require(line.split(separator: ":").dropFirst(2).first?.split(separator: "-").first)
        let port = try #require(Int(portText))
        let client = try await TestClient.connect(port: port)
        let meter = addr("000000000103")
        let reply = try await client.exchange(.read(meter, .communicationAddress))
        #expect(reply == .data(meter, .communicationAddress, value: meter.wireBytes, followUp: false))
        await client.close()
        process.terminate() // SIGTERM
        #expect(await waitForExit(of: process, within: 30))
        let text = await log.text()
        #expect(process.terminationReason == .exit, "\(text)")
        #expect(process.terminationStatus == 0, "\(text)")
    }
}

