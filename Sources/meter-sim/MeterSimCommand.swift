import ArgumentParser
import BuildVersion
import Dispatch
import Foundation
import MeterSim

/// `meter-sim`: simulated DL/T 645-2007 terminals and meters (INTERFACES.md).
@main
struct MeterSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meter-sim",
        abstract: "Simulated DL/T 645-2007 terminals and cost-control meters on TCP.",
        discussion: """
            Terminal i listens on PORT+i and serves a contiguous block of ceil(M/T) meters, addresses \
            counting up from --first-address. With PORT 0 a block of consecutive free ports is picked; \
            the ready line on stdout names them. SIGINT or SIGTERM stop it (exit 0).
            """,
        version: BuildVersion.version)

    @Option(help: "HOST:PORT of terminal 0; terminal i listens on PORT+i (PORT 0: pick a free block).")
    var listen: String
    @Option(help: "Number of terminals.")
    var terminals: Int = 1
    @Option(help: "Number of meters.")
    var meters: Int
    @Option(help: "Address of the first meter (12 digits).")
    var firstAddress: String = "000000000001"
    @Option(help: "HOST:PORT of the admin HTTP API.")
    var admin: String?
    @Option(help: "Seed of load variation and fault injection.")
    var seed: UInt64 = 0
    @Option(help: "Average load per meter in kW (0 freezes the registers).")
    var loadKw: String = "1"
    @Option(help: "Starting total of every meter in kWh (held in the flat register).")
    var initialKwh: String = "0"
    @Option(help: "Simulated seconds per real second.")
    var timeScale: Double = 1
    @Option(help: "Tariff file (TOML) whose [[periods]] name the register in force.")
    var tariff: String?
    @Option(help: "Control and write password, 8 hex digits, level byte first.")
    var password: String = "02000000"
    @Option(help: "Probability that a request is lost (no answer).")
    var drop: Double = 0
    @Option(help: "Probability that a reply is corrupted (bad checksum).")
    var garble: Double = 0
    @Option(help: "Probability that a request is refused with ERR 01.")
    var nak: Double = 0
    @Option(help: "Delay before each answer: MIN or MIN-MAX milliseconds.")
    var delayMs: String?
    @Flag(help: "Allow-close (1BH) closes the relay at once instead of arming it.")
    var autoClose = false
    @Option(help: "Time zone of the meters' clocks.")
    var timezone: String = "Asia/Shanghai"
    @Flag(help: "Log every remote-control request received (admin GET /controls), for test harnesses.")
    var recordControls = false
    @Option(name: .customLong("clock-drift-s"),
            help: "Each meter's clock starts off by a fixed offset drawn (from --seed) within ±N seconds.")
    var clockDriftS: Int64 = 0

    func run() async throws {
        let raw = SimArguments.Raw(
            listen: listen, terminals: terminals, meters: meters, firstAddress: firstAddress, admin: admin,
            seed: seed, loadKW: loadKw, initialKWh: initialKwh, timeScale: timeScale, tariff: tariff,
            password: password, drop: drop, garble: garble, nak: nak, delayMs: delayMs, autoClose: autoClose,
            timezone: timezone, recordControls: recordControls, clockDriftS: clockDriftS)
        let configuration: SimConfiguration
        let fleet: MeterFleet
        do {
            configuration = try SimArguments.configuration(from: raw)
            fleet = try MeterFleet(configuration: configuration, clock: ScaledWallClock(timeScale: configuration.timeScale))
        } catch {
            throw ValidationError(error.description)
        }
        // Signals first, so a SIGTERM right after the ready line is already handled.
        let (signalStream, signalContinuation) = AsyncStream<Int32>.makeStream()
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { signalContinuation.yield(number) }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await MeterSimulator.run(fleet) { endpoints in
                    // Unbuffered, so scripts waiting for the line see it at once.
                    FileHandle.standardOutput.write(Data((endpoints.readyLine + "\n").utf8))
                }
            }
            group.addTask {
                // The first SIGINT or SIGTERM ends the run.
                for await _ in signalStream { return }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
