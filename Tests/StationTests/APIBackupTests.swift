import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing
@testable import Station

/// `POST /v1/backup` in process: operators only; the copy's path, size and audit rows; the
/// `backup` audit row with the operator's name and the `EVENT=backup` journal line.
@Suite struct APIBackupTests {
    @Test func anOperatorsBackupIsWrittenAuditedAndJournaled() async throws {
        let logs = LogRecorder()
        let fixture = try await APIFixture.make(logs: logs)
        let folder = fixture.folder.appendingPathComponent("backups").path
        let rowsBefore = try await fixture.store.verifyAudit().rows
        try await fixture.test(tokens: NamedToken.tokens) { client in
            let refused = try await client.call(.post, "/v1/backup", token: NamedToken.dash, body: "{}")
            #expect(refused.status == .forbidden, "\(refused.text)")

            let answer = try await client.call(.post, "/v1/backup", token: NamedToken.alice, body: "{}")
            #expect(answer.status == .created, "\(answer.text)")
            let path = try #require(answer.json["path"] as? String)
            #expect(path.hasPrefix(folder + "/station-") && path.hasSuffix("Z.sqlite"), "\(path)")
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            #expect(answer.json["bytes"] as? Int == size)
            #expect(answer.json["audit_rows"] as? Int == rowsBefore)

            let row = try #require(try await fixture.store.auditTrail(event: "backup").last)
            #expect(row.actor == "alice" && row.detail.contains(path), "\(row)")
            #expect(try await fixture.store.verifyAudit().isIntact)
            let journal = try #require(logs.events("backup").last)
            #expect(journal.metadata["operator"] == "alice" && journal.metadata["path"] == path, "\(journal.text)")
        }
    }

    /// `chargectl backup` as the nightly timer runs it: the copy's path on its first line, a
    /// copy that opens and verifies; a viewer's token is refused with exit 1.
    @Test(.enabled(if: APIChargeCtlTests.binary != nil, "chargectl is not built (run swift build --build-tests)"))
    func chargectlBackupPrintsTheCopysPath() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try await fixture.serving(tokens: NamedToken.tokens) { url in
            let refused = try await APIChargeCtlTests.chargectl(["backup"], url: url, token: NamedToken.dash)
            #expect(refused.status == 1 && refused.err.contains("403"), "\(refused)")
            let run = try await APIChargeCtlTests.chargectl(["backup"], url: url, token: NamedToken.alice)
            #expect(run.status == 0, "\(run)")
            let path = try #require(run.out.split(separator: "\n").first.map(String.init))
            #expect(path.hasSuffix("Z.sqlite") && FileManager.default.fileExists(atPath: path), "\(run)")
            let copy = try StationStore.open(path: path)
            #expect(try await copy.verifyAudit().isIntact)
            #expect(try await copy.account("A1")?.balance == yuan("10.00"))
        }
    }

    @Test func withoutABackupFolderTheRouteSaysSo() async throws {
        let base = try await APIFixture.make()
        var settings = base.settings
        settings.backups = nil
        let fixture = APIFixture(folder: base.folder, store: base.store, core: base.core, clock: base.clock, settings: settings)
        try await fixture.test { client in
            let answer = try await client.call(.post, "/v1/backup", body: "{}")
            #expect(answer.status == .serviceUnavailable, "\(answer.text)")
        }
    }
}
