import Foundation
import StationHarness
import Testing

/// `chargecontrol-bench` end to end at a tiny size (issue 7): every scenario runs against its own
/// `meter-sim` and `chargecontrold` (the debug builds next to the tests) and the JSON carries the
/// keys the issue names, as numbers, with counts that match what was asked. Figures are not
/// checked: speed is the release bench's business, not a test's.
@Suite(.serialized)
struct BenchSmokeTests {
    static let accounts = 40
    static let meters = 60
    static let readings = 300
    static let payments = 5

    @Test(.enabled(if: Binaries.available)) func everyScenarioRunsAndReportsItsKeys() async throws {
        let folder = try #require(StationBinaries.nextToTests).folder
        let bench = folder.appendingPathComponent("chargecontrol-bench")
        try #require(FileManager.default.isExecutableFile(atPath: bench.path), "chargecontrol-bench is not built in \(folder.path)")

        let process = Process()
        process.executableURL = bench
        process.arguments = ["--scenarios", "p1,p2,p3,p4,p5,p6,p7", "--accounts", "\(Self.accounts)", "--meters", "\(Self.meters)",
                             "--readings", "\(Self.readings)", "--payments", "\(Self.payments)", "--seconds", "1",
                             "--terminals", "2", "--no-steady", "--json"]
        // Output to files and the exit awaited through the termination handler: a test that
        // blocked in waitUntilExit held one of the cooperative pool's threads (two here) for the
        // whole run, and the line tests running beside it saw their timers fire late.
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("bench-smoke-\(UUID().uuidString.prefix(8))")
        let (out, log) = (stem.appendingPathExtension("json"), stem.appendingPathExtension("log"))
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: log)
        }
        let outHandle = try FileHandle(forWritingTo: out)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = outHandle
        process.standardError = logHandle
        let status = try await withCheckedThrowingContinuation { (c: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { c.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { c.resume(throwing: error) }
        }
        try? outHandle.close()
        try? logHandle.close()
        let data = try Data(contentsOf: out)
        let progress = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(status == 0, "chargecontrol-bench exited \(status):\n\(progress)")

        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any],
                                "not one JSON object: \(String(decoding: data, as: UTF8.self))")
        func number(_ scenario: String, _ key: String) throws -> Double {
            let object = try #require(json[scenario] as? [String: Any], "no \(scenario) in \(json.keys.sorted())")
            let value = try #require(object[key] as? NSNumber, "\(scenario).\(key) is not a number: \(String(describing: object[key]))")
            return value.doubleValue
        }
        // The keys the issue names, each a number.
        for (scenario, keys) in [("p1", ["p50_ms", "p99_ms", "max_ms", "accounts"]), ("p2", ["seconds", "meters", "ratio_to_bare_reads"]),
                                 ("p3", ["per_second"]), ("p4", ["per_second"]), ("p5", ["bytes_per_account", "bytes_per_sim_meter"]),
                                 ("p6", ["seconds", "accounts"]), ("p7", ["ratio"])] {
            for key in keys { _ = try number(scenario, key) }
        }
        // Counts as asked, and the work done.
        #expect(try number("p1", "accounts") == Double(Self.accounts))
        #expect(try number("p1", "payments") == Double(Self.payments))
        #expect(try number("p1", "p50_ms") > 0 && number("p1", "p50_ms") <= number("p1", "p99_ms"))
        #expect(try number("p1", "p99_ms") <= number("p1", "max_ms"))
        #expect(try number("p2", "meters") == Double(Self.meters))
        #expect(try number("p2", "seconds") > 0)
        #expect(try number("p2", "abnormal_readings") == 0)
        // p2r: the bare client read meters, and the ratio is the two rates' quotient.
        #expect(try number("p2", "bare_reads_per_second") > 0)
        #expect(try number("p2", "bare_read_failures") == 0)
        #expect(try number("p2", "ratio_to_bare_reads") > 0)
        #expect(try number("p3", "acknowledged") >= Double(Self.accounts))
        #expect(try number("p4", "per_second") > 0)
        #expect(try number("p5", "accounts") == Double(Self.accounts))
        #expect(try number("p6", "accounts") == Double(Self.meters))
        #expect(try number("p6", "seconds") > 0)
        // The book loads behind READY=1, so its line comes after.
        #expect(try number("p6", "book_loaded_seconds") >= number("p6", "seconds"))
        #expect(try number("p6", "after_kill_book_loaded_seconds") >= number("p6", "after_kill_seconds"))
        #expect(try number("p7", "readings") == Double(Self.readings))
        #expect(try number("p7", "evaluation_errors") == 0)
        #expect(try number("p7", "ratio") > 0)
    }
}
