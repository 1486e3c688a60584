import ChargeControl
import Foundation
import GRDB
import Testing
@testable import Store

/// The actor in the audit trail (schema v9): rows carry the task's `AuditActor`, the chain
/// written before v10 still verifies, and the actor is covered by the row's hash.
@Suite struct AuditActorTests {
    /// A database written by a v8 station, migrated to v9: its rows verify, and rows appended
    /// after, with and without an actor, continue the same chain.
    @Test func aChainWrittenBeforeV9StillVerifiesAndGoesOn() async throws {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue, upTo: "v9: reading resolution")
        try await queue.write { db in
            var prev = AuditTrail.genesis
            for i in 0..<3 {
                let hash = AuditTrail.digest(prev: prev, at: Int64(i), event: "payment", account: "A1", meter: nil, command: nil,
                                             balance: 100, detail: "v8 row \(i)")
                try db.execute(sql: """
                    INSERT INTO audit (at, event, account_id, balance_micro_yuan, detail, prev_hash, hash) VALUES (?, 'payment', 'A1', 100, ?, ?, ?)
                    """, arguments: [i, "v8 row \(i)", prev, hash])
                prev = hash
            }
        }
        let store = try StationStore(writer: queue)
        #expect(try store.appliedMigrations().contains("v10: audit actor"))
        #expect(try await store.verifyAudit() == AuditVerification(rows: 3, firstBrokenID: nil))
        try await AuditActor.$current.withValue("alice") {
            try await store.transaction { tx in try tx.audit(AuditEvent(at: t0, event: "adjustment", detail: "by alice")) }
        }
        try await store.transaction { tx in try tx.audit(AuditEvent(at: t0, event: "decision", detail: "the station's own")) }
        try await store.transaction { tx in try tx.audit(AuditEvent(at: t0, event: "review", detail: "explicit", actor: "bob")) }
        #expect(try await store.verifyAudit() == AuditVerification(rows: 6, firstBrokenID: nil))
        #expect(try await store.auditTrail().map(\.actor) == [nil, nil, nil, "alice", nil, "bob"])
        let page = try await store.auditPage(account: nil, before: nil, limit: 2)
        #expect(page.map(\.actor) == ["bob", nil])
        #expect(try await store.auditPage(account: nil, before: page.last?.id, limit: 10).count == 4)
        #expect(try await store.auditPage(account: "A1", before: nil, limit: 10).count == 3)
    }

    /// The actor is part of the hash: the same row without it, or with another, hashes
    /// differently, so neither can be changed around SQLite without breaking the chain.
    @Test func theActorIsCoveredByTheHash() {
        func digest(_ actor: String?, detail: String = "d") -> String {
            AuditTrail.digest(prev: AuditTrail.genesis, at: 1, event: "e", account: "A1", meter: nil, command: nil, balance: nil,
                              detail: detail, actor: actor)
        }
        #expect(digest(nil) == AuditTrail.digest(prev: AuditTrail.genesis, at: 1, event: "e", account: "A1", meter: nil, command: nil,
                                                 balance: nil, detail: "d"))
        #expect(digest("alice") != digest(nil))
        #expect(digest("alice") != digest("bob"))
        #expect(digest("") != digest(nil))
        // Length prefixes: moving text between detail and actor changes the hash.
        #expect(digest("ce", detail: "dali") != digest("alice", detail: "d"))
    }

    /// A write runs in the group commit's task: the caller's actor goes along with it, and
    /// concurrent writers keep their own.
    @Test func concurrentWritersKeepTheirOwnActors() async throws {
        let (store, _) = try await temporaryStore()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await AuditActor.$current.withValue("op\(i)") {
                        try await store.transaction { tx in try tx.audit(AuditEvent(at: t0, event: "x", detail: "op\(i)")) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let rows = try await store.auditTrail(event: "x")
        #expect(rows.count == 20)
        #expect(rows.allSatisfy { $0.actor == $0.detail })
        #expect(try await store.verifyAudit().isIntact)
    }
}
