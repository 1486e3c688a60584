import Foundation
import Hummingbird
import Store

/// `GET /v1/audit/verify`: checks the audit trail's hash chain end to end and every account's
/// balance against a replay of its ledger. Read-only, so viewers may run it too.
enum AuditRoutes {
    struct Mismatch: Encodable {
        let accountID, storedYuan: String
        let replayedYuan: String?

        enum CodingKeys: String, CodingKey {
            case accountID = "account_id", storedYuan = "stored_yuan", replayedYuan = "replayed_yuan"
        }
    }

    struct Verification: Encodable {
        let intact: Bool
        let auditRows: Int
        let firstBrokenID: Int64?
        let balanceMismatches: [Mismatch]

        enum CodingKeys: String, CodingKey {
            case intact, auditRows = "audit_rows", firstBrokenID = "first_broken_id", balanceMismatches = "balance_mismatches"
        }
    }

    static func register(_ routes: APIRoutes) {
        let store = routes.station.core.store
        routes.on(.get, "audit/verify", .read) { _, _ in
            let chain = try await store.verifyAudit()
            let mismatches = try await store.verifyBalances()
            return try JSONResponse.make(Verification(
                intact: chain.isIntact && mismatches.isEmpty, auditRows: chain.rows, firstBrokenID: chain.firstBrokenID,
                balanceMismatches: mismatches.map {
                    Mismatch(accountID: $0.accountID, storedYuan: $0.stored.yuanString, replayedYuan: $0.replayed?.yuanString)
                }))
        }
    }
}
