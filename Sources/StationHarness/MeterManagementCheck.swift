import Foundation
import ChargeControl
import Store

/// What the meters hold after the crash rounds, against what the station acknowledged
/// (issue 13): no write counted done without its read-back, none lost, clocks corrected.
public enum MeterManagementCheck {
    /// After the queue drained: for every meter and identifier written, the meter shows the value
    /// of the last write the *dispatcher* acknowledged (read back) — or the value of a later write
    /// (one cut off before its read-back by a kill or a fault, in review, superseded, or resolved
    /// "done on site" by the harness's operator, who says so without touching the meter).
    /// Returns the problems and how many read-back acknowledgements were compared.
    public static func parameters(_ s: HarnessStation, store: StationStore, accounts: [(id: String, meter: Int)]) async throws
        -> (problems: [String], compared: Int)
    {
        var problems: [String] = []
        var compared = 0
        let onSite = Set(try await store.auditTrail(event: "command_acknowledged")
            .filter { $0.detail.contains("done on site") }.compactMap(\.commandID))
        for account in accounts {
            let writes = try await store.commands(account: account.id, limit: 100_000).filter { $0.kind == .write }.reversed()
            let shown = try await s.simMeter(account.meter)["parameters"]
            for identifier in Set(writes.compactMap { $0.parameter?.identifier }) {
                let same = writes.filter { $0.parameter?.identifier == identifier }
                guard let last = same.last(where: { $0.state == .acknowledged && !onSite.contains($0.id) }) else { continue }
                compared += 1
                let later = same.filter { $0.id > last.id }.compactMap { $0.parameter?.value }
                let expected = [last.parameter?.value].compactMap { $0 } + later
                let meterShows = shown?[identifier]?.string ?? "nothing"
                if !expected.contains(meterShows) {
                    problems.append("meter \(account.meter) (\(account.id)) shows \(identifier) = \(meterShows); "
                        + "the station acknowledged \(last.parameter?.value ?? "?") (command \(last.id))")
                }
            }
        }
        return (problems, compared)
    }

    /// Every meter's clock within `tolerance` seconds, or a clock command of its account waiting
    /// in job review (a person has it), or not yet seen off by the station: on a faulty bus a
    /// meter's clock read may keep failing, which is the bus's doing, not a lost correction.
    /// Waits up to `seconds` for the station to get there; returns the problems and how many
    /// meters were still off but unseen at the end.
    public static func clocks(_ s: HarnessStation, store: StationStore, accounts: [(id: String, meter: Int)],
                              tolerance: Int = 60, seconds: Double) async throws -> (problems: [String], unseen: Int) {
        var problems: [String] = []
        var unseen = 0
        _ = try? await s.eventually("every meter clock corrected", within: seconds) { () async throws -> Bool? in
            problems = []
            unseen = 0
            for account in accounts {
                let offset = try await s.simMeter(account.meter)["clock_offset_s"]?.int ?? 0
                guard abs(offset) > tolerance else { continue }
                let inReview = try await store.commands(account: account.id, limit: 100_000)
                    .contains { $0.kind.group == "clock" && $0.state == .review }
                if inReview { continue }
                // The station's last clock read of it: still from before the last drift?
                let seen = try await store.latestClockOffset(account: account.id).map(Int.init) ?? 0
                if abs(seen - offset) > 5 {
                    unseen += 1
                    continue
                }
                problems.append("meter \(account.meter) (\(account.id)): clock \(offset) s off, read so by the station, "
                    + "no correction acknowledged or in review")
            }
            return problems.isEmpty && unseen == 0 ? true : nil
        }
        return (problems, unseen)
    }
}
