import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Store
import Testing
@testable import Station

/// An account row the store cannot read (issue 17) fails the request that met it, with a 500
/// naming the account, logged; the server goes on answering for the other accounts.
@Suite struct UndecodableRowAPITests {
    @Test func aCorruptAccountIsA500NamingItAndTheNextRequestIsServed() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        _ = try await fixture.core.upsertAccount(AccountProvisioning(accountID: "A2", meterAddress: "000000000002", terminalID: "T1",
                                                                     tariff: "flat-test", region: "north", openingBalance: yuan("5.00")))
        // A REAL no Int64 holds, in a column no trigger guards.
        try await fixture.store.writer.write { db in
            try db.execute(sql: "UPDATE account SET tier_year_used_hundredths = 9.3e18 WHERE id = 'A2'")
        }
        let logs = LogRecorder()
        let app = APIServer.application(router: fixture.router, host: "127.0.0.1", port: 0, logger: logs.logger("api"))
        try await app.test(.router) { client in
            let bad = try await client.call(.get, "/v1/accounts/A2")
            #expect(bad.status == .internalServerError)
            #expect(bad.error.contains("account \"A2\"") && bad.error.contains("tier_year_used_hundredths"), "\(bad.text)")
            #expect(try await client.call(.get, "/v1/accounts/A1").status == .ok)
            #expect(try await client.call(.get, "/v1/accounts/A2").status == .internalServerError)
        }
        let logged = logs.all.filter { $0.level == .error && $0.text.contains("\"A2\"") }
        #expect(logged.count == 2, "\(logs.all.map(\.text))")
        #expect(logged.allSatisfy { $0.metadata["path"] == "/v1/accounts/A2" })
    }
}
