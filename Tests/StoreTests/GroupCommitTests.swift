import Foundation
import GRDB
import LoopbackTools
import Synchronization
import Testing
@testable import Store

@Suite("Store: group commit")
struct GroupCommitTests {
    /// Holds the writer with a write that blocks until released, so that the writes submitted
    /// meanwhile queue up for one round. The tests wait for semaphores with `offThePool`, on a
    /// thread of its own: never on one that Swift's tasks run on.
    final class Gate: Sendable {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
    }

    struct Refused: Error {}

    /// Whether each write was committed, by index.
    final class Outcomes: Sendable {
        let committed = Mutex<[Int: Bool]>([:])
    }

    /// Runs `submit` while a blocking write holds the writer; releases it once `expected` writes wait.
    func whileHeld(_ store: StationStore, expected: Int, _ submit: @Sendable @escaping () async -> Void) async throws {
        let gate = Gate()
        let holder = Task {
            try await store.transaction { _ in
                gate.started.signal()
                gate.release.wait()
            }
        }
        await offThePool { gate.started.wait() }
        let writes = Task { await submit() }
        let deadline = ContinuousClock.now + .seconds(30)
        while store.group.waiting < expected && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(store.group.waiting == expected)
        gate.release.signal()
        try await holder.value
        await writes.value
    }

    @Test func writesThatArriveDuringACommitShareTheNextOne() async throws {
        let (store, _) = try await temporaryStore()
        let before = store.group.rounds
        try await whileHeld(store, expected: 20) {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try? await store.upsertTerminal(TerminalRecord(id: "T\(i)", host: "10.0.0.\(i)", port: 9000 + i), at: t0)
                    }
                }
            }
        }
        // The holder's round, then one round for all twenty.
        #expect(store.group.rounds - before == 2)
        #expect(try await store.terminals().count == 20)
    }

    @Test func aWriteThatThrowsIsRolledBackAloneAndItsCallerToldWhy() async throws {
        let (store, path) = try await temporaryStore()
        let outcomes = Outcomes()
        try await whileHeld(store, expected: 5) {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<5 {
                    group.addTask {
                        do {
                            try await store.transaction { tx in
                                try tx.db.execute(sql: "INSERT INTO terminal (id, host, port, updated_at) VALUES (?, 'h', 9000, 0)",
                                                  arguments: ["T\(i)"])
                                if i == 2 { throw Refused() }
                            }
                            outcomes.committed.withLock { $0[i] = true }
                        } catch {
                            outcomes.committed.withLock { $0[i] = !(error is Refused) }
                        }
                    }
                }
            }
        }
        #expect(outcomes.committed.withLock { $0 } == [0: true, 1: true, 2: false, 3: true, 4: true])
        // What the others wrote is durable: a fresh connection to the file sees it.
        let reopened = try await reopen(path)
        #expect(try await reopened.terminals().map(\.id).sorted() == ["T0", "T1", "T3", "T4"])
    }

    /// A bulk write under way sees a payment or reconnection step waiting and can commit early
    /// (issue 7: the ingest queue's batches yield to reconnections); an ordinary small write
    /// does not ask for that.
    @Test func aBulkWriteSeesAReconnectionWaitingButNotAnOrdinaryWrite() async throws {
        let (store, _) = try await temporaryStore()
        #expect(!store.reconnectionWritesWaiting)

        // The bulk write spins (bounded) until it sees the flag; the reconnection is sent once
        // the bulk write runs.
        let running = DispatchSemaphore(value: 0)
        let bulk = Task {
            try await store.bulkTransaction { _ -> Bool in
                running.signal()
                let limit = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < limit {
                    if store.reconnectionWritesWaiting { return true }
                    usleep(1_000)
                }
                return false
            }
        }
        await offThePool { running.wait() }
        try await store.transaction(reconnection: true) { tx in try tx.upsertTerminalForTest("T1") }
        #expect(try await bulk.value)
        #expect(!store.reconnectionWritesWaiting)

        // An ordinary write waiting beside a bulk one leaves the flag down.
        let started = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let second = Task {
            try await store.bulkTransaction { _ -> Bool in
                started.signal()
                proceed.wait()
                return store.reconnectionWritesWaiting
            }
        }
        await offThePool { started.wait() }
        let ordinary = Task { try await store.transaction { tx in try tx.upsertTerminalForTest("T2") } }
        let deadline = ContinuousClock.now + .seconds(30)
        while store.group.waiting < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        proceed.signal()
        #expect(try await second.value == false)
        try await ordinary.value
    }
}

extension StoreTransaction {
    /// A small write for the lane tests.
    func upsertTerminalForTest(_ id: String) throws {
        try db.execute(sql: "INSERT INTO terminal (id, host, port, updated_at) VALUES (?, '127.0.0.1', 9000, 0)",
                       arguments: [id])
    }
}
