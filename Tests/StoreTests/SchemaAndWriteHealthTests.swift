import Dispatch
import Foundation
import GRDB
import Synchronization
import Testing
@testable import Store

/// Opening a file: a newer schema is refused untouched, pending migrations are announced; and the
/// write health `/healthz` reads, through real SQLite failures.
@Suite(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) struct SchemaAndWriteHealthTests {
    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func newerSchemaIsRefusedAndTheFileLeftAsItWas() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("station.sqlite").path
        try StationStore.open(path: path).close()
        // A newer binary's migration, as GRDB records it.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: future')") }
        // Everything in the main file, so that its bytes are the whole database.
        try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let filesBefore = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()

        var announced = false
        let error = #expect(throws: NewerSchemaError.self) {
            _ = try StationStore.open(path: path, beforeMigrating: { _ in announced = true })
        }
        let known = SchemaState.version(of: try #require(Schema.migrator.migrations.last))
        #expect(error?.description.hasPrefix(
            "database schema v99 is newer than this chargecontrold knows (\(known)); run the newer binary or restore a backup") == true,
            "\(String(describing: error))")
        #expect(!announced)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == filesBefore)
    }

    @Test func pendingMigrationsAreAnnouncedBeforeTheyRun() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("station.sqlite").path
        // A file an older binary made: only the first migration.
        let all = Schema.migrator.migrations
        let old = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(old, upTo: all[0])
        try old.close()

        var seen: [SchemaState] = []
        let store = try StationStore.open(path: path, beforeMigrating: { seen.append($0) })
        #expect(seen.count == 1)
        #expect(seen.first?.applied == [all[0]])
        #expect(seen.first?.pending == Array(all.dropFirst()))
        #expect(seen.first?.latestKnown == SchemaState.version(of: all[all.count - 1]))
        #expect(try store.appliedMigrations() == all)
        try store.close()

        // Up to date: nothing to announce.
        let again = try StationStore.open(path: path, beforeMigrating: { seen.append($0) })
        #expect(seen.count == 1)
        try again.close()
    }

    /// A commit is timed by the store's clock; a write SQLite refuses (the file read-only) shows.
    @Test func commitsAndRefusedWritesAreRecorded() async throws {
        let (store, path) = try await temporaryStore()
        let clock = Mutex(t0)
        let timed = try StationStore.open(path: path, now: { clock.withLock { $0 } })
        #expect(timed.writeHealth == StoreWriteHealth())
        try await provision(timed)
        #expect(timed.writeHealth.lastCommit == t0)
        #expect(timed.writeHealth.failure == nil && timed.writeHealth.roundStarted == nil)

        let readOnly = try StationStore.openReadOnly(path: path)
        await #expect(throws: (any Error).self) { try await provision(readOnly, account: "A2", meter: "000000000002") }
        let failure = try #require(readOnly.writeHealth.failure)
        #expect(failure.detail.contains("readonly"), "\(failure.detail)")
        #expect(readOnly.writeHealth.lastCommit == nil)
        try readOnly.close()
        try timed.close()
        try store.close()
    }

    /// Another process holding the write lock past the busy timeout fails the store's writes;
    /// once it lets go, the next write commits and clears the failure.
    @Test func aFailureLastsUntilALaterWriteCommits() async throws {
        let (store, path) = try await temporaryStore()
        let clock = Mutex(t0)
        let timed = try StationStore.open(path: path, now: { clock.withLock { $0 } })
        try await provision(timed)

        // Another connection takes the write lock and holds it (on GRDB's own thread, not the
        // test's) until released.
        let other = try DatabaseQueue(path: path)
        let release = DispatchSemaphore(value: 0)
        let locked = Mutex(false)
        let holder = Task {
            try await other.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.withLock { $0 = true }
                release.wait()
                try db.execute(sql: "ROLLBACK")
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while !locked.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(locked.withLock { $0 })
        clock.withLock { $0 = t0.addingTimeInterval(60) }
        await #expect(throws: (any Error).self) { try await provision(timed, account: "A2", meter: "000000000002") }
        let failure = try #require(timed.writeHealth.failure)
        #expect(failure.at == t0.addingTimeInterval(60))
        #expect(failure.detail.contains("locked"), "\(failure.detail)")
        #expect(timed.writeHealth.lastCommit == t0)
        release.signal()
        try await holder.value
        try other.close()

        clock.withLock { $0 = t0.addingTimeInterval(120) }
        try await provision(timed, account: "A2", meter: "000000000002")
        #expect(timed.writeHealth.failure == nil)
        #expect(timed.writeHealth.lastCommit == t0.addingTimeInterval(120))

        // A write refused for what it says (no such terminal) is not the storage's fault.
        await #expect(throws: (any Error).self) {
            _ = try await timed.upsertAccount(id: "A3", meterAddress: "000000000003", terminalID: "NOPE", tariff: "residential",
                                              region: "north", alarmThreshold: nil, tripThreshold: nil, isProtected: false,
                                              openingBalance: yuan("1.00"), at: t0)
        }
        #expect(timed.writeHealth.failure == nil)
        try timed.close()
        try store.close()
    }
}
