import Testing
@testable import Store

@Suite struct AccountCountTests {
    @Test func countsAccountsWithoutLoadingThem() async throws {
        let (store, _) = try await temporaryStore()
        #expect(try await store.accountCount() == 0)
        try await provision(store, account: "A1", meter: "000000000001")
        try await provision(store, account: "A2", meter: "000000000002")
        #expect(try await store.accountCount() == 2)
        #expect(try await store.accountCount() == store.allAccounts().count)
    }
}
