import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import Station

/// The API over a real socket on 127.0.0.1, as chargectl and the billing system reach it.
@Suite struct APILiveTests {
    @Test func paymentOverLoopback() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let app = APIServer.application(router: fixture.router, host: "127.0.0.1", port: 0, logger: Logger(label: "api-live"))
        try await app.test(.live) { client in
            #expect(client.port != nil)
            let health = try await client.call(.get, "/healthz", token: nil)
            #expect(health.status == .ok)
            let paid = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(order: "LIVE-1"))
            #expect(paid.status == .created)
            #expect(paid.json["balance_yuan"] as? String == "60.00")
            let repeated = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(order: "LIVE-1"))
            #expect(repeated.status == .ok)
            #expect(repeated.text == paid.text)
            let forbidden = try await client.call(.get, "/v1/review", token: TestToken.payments)
            #expect(forbidden.status == .forbidden)
        }
        #expect(try await fixture.store.payment(orderNo: "LIVE-1")?.balanceAfter == yuan("60.00"))
    }
}
