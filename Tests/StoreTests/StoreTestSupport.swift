import ChargeControl
import Foundation
import StationConfig
import Tariffs
import Testing
@testable import Store
import StorePostgres

/// The engine the store's tests run on: SQLite, or PostgreSQL when `CHARGECONTROL_TEST_ENGINE`
/// is `postgres` (`make test` runs this suite once on each: one set of tests, two engines).
enum TestEngine {
    static let isPostgres = ProcessInfo.processInfo.environment["CHARGECONTROL_TEST_ENGINE"] == "postgres"
    /// Why a test of what only SQLite has does not run on PostgreSQL.
    static let sqliteOnly: Comment = "SQLite only (its file, its planner, or a value of another type in a column, which PostgreSQL refuses): this run is on PostgreSQL"
}

/// A fresh station: a real SQLite file in a fresh temp folder, or a new database on the test
/// PostgreSQL server. The second value reopens it (`reopen`).
func temporaryStore() async throws -> (StationStore, String) {
    if TestEngine.isPostgres {
        let location = try await PostgresTestServer.createDatabase()
        return (try await StationStore.open(postgres: location), location.url)
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("station.sqlite").path
    return (try await reopen(path), path)
}

/// A fresh station with nothing to reopen: in memory on SQLite.
func testStore() async throws -> StationStore {
    TestEngine.isPostgres ? try await temporaryStore().0 : try StationStore.inMemory()
}

/// The station `temporaryStore` made, opened read-only (no account book: figures from the rows).
func reopenReadOnly(_ path: String) async throws -> StationStore {
    if PostgresLocation.isURL(path) { return try await StationStore.openReadOnly(postgres: PostgresLocation(url: path)) }
    return try StationStore.openReadOnly(path: path)
}

/// Opens again the station `temporaryStore` made (a start after a stop or a kill).
func reopen(_ path: String, loadBookBehind: Bool = false) async throws -> StationStore {
    if PostgresLocation.isURL(path) {
        return try await StationStore.open(postgres: PostgresLocation(url: path), loadBookBehind: loadBookBehind)
    }
    return try StationStore.open(path: path, loadBookBehind: loadBookBehind)
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
