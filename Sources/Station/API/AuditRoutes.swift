import Foundation
import Hummingbird
import Store
import Tariffs

/// `GET /v1/audit?account_id=ID&limit=N&after=ID`: audit rows newest first, each with the
/// operator it speaks for (`actor`, null for the station's own rows); `next` is the `after` of the
/// next page (null on the last). `GET /v1/audit/verify`: checks the audit trail's hash chain end
/// to end and every account's balance against a replay of its ledger. Read-only, so viewers may
/// run both.
enum AuditRoutes {
    struct Entry: Encodable {
        let id: Int64
        let at, event: String
        let accountID, meterAddress: String?
        let commandID: Int64?
        let actor: String?
        let detail: String

        init(_ e: AuditEntry, zone: TimeZone) {
            id = e.id
            at = RFC3339.format(StoredInstant.date(e.atMillis), in: zone)
            event = e.event
            accountID = e.accountID
            meterAddress = e.meterAddress
            commandID = e.commandID
            actor = e.actor
            detail = e.detail
        }

        // Absent optionals are written as null: every item has every key (INTERFACES.md).
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(at, forKey: .at)
            try c.encode(event, forKey: .event)
            try c.encode(accountID, forKey: .accountID)
            try c.encode(meterAddress, forKey: .meterAddress)
            try c.encode(commandID, forKey: .commandID)
            try c.encode(actor, forKey: .actor)
            try c.encode(detail, forKey: .detail)
        }

        enum CodingKeys: String, CodingKey {
            case id, at, event, actor, detail
            case accountID = "account_id", meterAddress = "meter_address", commandID = "command_id"
        }
    }

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
        let zone = routes.station.settings.timeZone
        routes.on(.get, "audit", .read) { request, _ in
            let query = request.uri.queryParameters
            let account = try query.get("account_id").map { try FieldValidation.identifier($0, "account_id") }
            let page = try PageQuery<Int64>(query)
            let rows = try await store.auditPage(account: account, before: page.after, limit: page.fetchLimit)
            return try JSONResponse.make(page.page(rows, item: { Entry($0, zone: zone) }, cursor: \.id))
        }
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
