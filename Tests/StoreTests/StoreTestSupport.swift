import ChargeControl
import Foundation
import Tariffs
@testable import Store

/// A real SQLite file in a fresh temp folder.
func temporaryStore() throws -> (StationStore, String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("station.sqlite").path
    return (try StationStore.open(path: path), path)
}

let t0 = Date(timeIntervalSince1970: 1_795_000_000)

func yuan(_ text: String) -> Money { try! Money(yuan: text) }

/// One terminal and one account with `opening` yuan.
func provision(_ store: StationStore, account: String = "A1", meter: String = "000000000001",
               opening: String = "50.00", protected: Bool = false) async throws {
    try await store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t0)
    _ = try await store.upsertAccount(id: account, meterAddress: meter, terminalID: "T1", tariff: "residential",
                                      region: "north", alarmThreshold: nil, tripThreshold: nil, isProtected: protected,
                                      openingBalance: yuan(opening), at: t0)
}

func planned(_ kind: CommandKind, balance: String = "0.00", notBefore: Date = t0) -> PlannedCommand {
    PlannedCommand(kind: kind, reason: .balanceAtOrBelowTrip, detail: "test", balance: yuan(balance),
                   notBefore: notBefore, isDeferred: notBefore != t0)
}
