import Foundation
import Testing

/// `chargectl tariff check|quote` as an operator runs them (INTERFACES.md), on the repository's
/// example tariffs and on broken files.
@Suite struct TariffCLITests {
    static let tariffs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/tariffs").standardized
    static let example = tariffs.appendingPathComponent("zhejiang-residential-tou-tiered.toml").path

    static func chargectl(_ arguments: [String]) async throws -> APIChargeCtlTests.Run {
        try await APIChargeCtlTests.chargectl(arguments, url: "http://127.0.0.1:1", token: nil)
    }

    @Test(.enabled(if: APIChargeCtlTests.binary != nil, "chargectl is not built"))
    func checkAcceptsEveryShippedTariff() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.tariffs.path).filter { $0.hasSuffix(".toml") }
        #expect(!files.isEmpty)
        for file in files {
            let run = try await Self.chargectl(["tariff", "check", Self.tariffs.appendingPathComponent(file).path])
            #expect(run.status == 0, "\(file): \(run.err)")
            #expect(!run.out.isEmpty)
        }
    }

    @Test(.enabled(if: APIChargeCtlTests.binary != nil, "chargectl is not built"))
    func checkRefusesABrokenFileNamingFileKeyAndProblem() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tariff-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.toml")
        let text = try String(contentsOfFile: Self.example, encoding: .utf8)
        try text.replacingOccurrences(of: "\"0.5680\"", with: "\"0.56801\"").write(to: bad, atomically: true, encoding: .utf8)
        let run = try await Self.chargectl(["tariff", "check", bad.path])
        #expect(run.status == 1)
        #expect(run.err.contains("bad.toml"), "\(run.err)")
        #expect(run.err.contains("decimals"), "\(run.err)")
    }

    /// 10 kWh peak at 0.5680 and 5 kWh valley at 0.2880 with 100 kWh used this year (first
    /// step, no surcharge): 5.680 + 1.440 = 7.12 yuan.
    @Test(.enabled(if: APIChargeCtlTests.binary != nil, "chargectl is not built"))
    func quoteGivesRoundedAndExactCharges() async throws {
        let run = try await Self.chargectl(["tariff", "quote", Self.example, "--at", "2026-11-23T10:00:00+08:00",
                                            "--ytd-kwh", "100", "--peak", "10", "--valley", "5", "--json"])
        #expect(run.status == 0, "\(run.err)")
        let object = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any]
        #expect(object?["charge_yuan"] as? String == "7.12")
        #expect((object?["charge_micro_yuan"] as? NSNumber)?.int64Value == 7_120_000)
        let bad = try await Self.chargectl(["tariff", "quote", Self.example, "--at", "yesterday", "--ytd-kwh", "0"])
        #expect(bad.status != 0)
        #expect(bad.err.contains("--at") || bad.err.contains("yesterday"), "\(bad.err)")
    }
}
