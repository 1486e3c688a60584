import DLT645
import DLT645NIO
import Foundation
import StationHarness
import Synchronization

/// p2r's baseline (issue 15): a bare client reading the same meter-sim flat out, in the same run,
/// before the daemon starts. It sends what a reading sends (the energy block 0001FF00, then status
/// word 3) through the station's own terminal lines, with as many reads at a time per terminal
/// as the collector (`readsPerTerminal`), and nothing behind them: no store, no rating, no
/// evaluation. p2's readings per second ÷ these is what the station keeps of the meters' speed.
struct BareReads {
    let ports: [Int]
    let meters: Int
    /// Reads at a time per terminal (the collector's `readsPerTerminal`).
    let workersPerTerminal: Int
    /// How long it reads (or until every meter was read once).
    let seconds: Double

    struct Result {
        var readings = 0
        var failures = 0
        var seconds = 0.0
        var perSecond: Double { seconds > 0 ? Double(readings) / seconds : 0 }
    }

    /// What every reader read.
    private final class Counts: Sendable {
        let state = Mutex((readings: 0, failures: 0))
    }

    /// The next of a terminal's meters to read, shared by its readers.
    private final class Cursor: Sendable {
        let next = Mutex(0)
    }

    func run() async throws -> Result {
        let lines = ports.map { port in
            TerminalLine(configuration: TerminalLineConfiguration(host: "127.0.0.1", port: port, requestTimeout: .seconds(5)))
        }
        // Each terminal's meters, in the order the seed gave them.
        var byTerminal = [[MeterAddress]](repeating: [], count: ports.count)
        for n in 1...max(1, meters) {
            let terminal = HarnessStation.terminal(ofMeter: n, meters: meters, terminals: ports.count)
            byTerminal[terminal].append(try MeterAddress(HarnessStation.address(n)))
        }
        let counts = Counts()
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + .milliseconds(Int(seconds * 1000))
        await withTaskGroup(of: Void.self) { group in
            for line in lines { group.addTask { await line.run() } }
            await withTaskGroup(of: Void.self) { readers in
                for (terminal, addresses) in byTerminal.enumerated() {
                    let cursor = Cursor()
                    for _ in 0..<workersPerTerminal {
                        readers.addTask {
                            while clock.now < deadline {
                                let index = cursor.next.withLock { n -> Int in
                                    defer { n += 1 }
                                    return n
                                }
                                guard index < addresses.count else { return }
                                do {
                                    _ = try await lines[terminal].send(.read(addresses[index], .forwardActiveBlock))
                                    _ = try await lines[terminal].send(.read(addresses[index], .statusWord3))
                                    counts.state.withLock { $0.readings += 1 }
                                } catch {
                                    counts.state.withLock { $0.failures += 1 }
                                }
                            }
                        }
                    }
                }
            }
            for line in lines { line.shutdown() }
        }
        let (readings, failures) = counts.state.withLock { ($0.readings, $0.failures) }
        return Result(readings: readings, failures: failures, seconds: (clock.now - started).seconds)
    }
}
