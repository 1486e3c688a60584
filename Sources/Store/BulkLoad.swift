import Foundation
import GRDB
import Tariffs

/// A new account for `insertAccountsInBulk`: what provisioning sets, with the station's defaults
/// for the rest (no customer class, default thresholds, not protected).
public struct NewAccount: Sendable, Hashable {
    public var id: String
    public var meterAddress: String
    public var terminalID: String
    public var tariff: String
    public var region: String
    public var openingBalance: Money

    public init(id: String, meterAddress: String, terminalID: String, tariff: String, region: String, openingBalance: Money) {
        self.id = id
        self.meterAddress = meterAddress
        self.terminalID = terminalID
        self.tariff = tariff
        self.region = region
        self.openingBalance = openingBalance
    }
}

extension StationStore {
    /// Opens (creating and migrating) a database for a bulk load, the bench's fast way to a
    /// station of a million accounts: commits are not fsynced (`synchronous = OFF`), so a load
    /// that crashes starts again from a new file. `checkpointAndClose` it before a station opens
    /// the file.
    public static func openForBulkLoad(path: String) throws -> StationStore {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF") }
        return try StationStore(writer: DatabasePool(path: path, configuration: configuration))
    }

    /// Inserts new accounts in one transaction, each with the rows `upsertAccount` gives a new
    /// one: the account with its balance, its opening ledger entry and an `account_created`
    /// audit row. Unlike `upsertAccount`, only the schema checks terminal and meter (one failure
    /// fails them all), and every account is new.
    ///
    /// Its own transaction, not a group-commit round: a bulk load is the file's only writer, and
    /// a savepoint around tens of thousands of accounts would only journal their pages.
    public func insertAccountsInBulk(_ accounts: [NewAccount], at now: Date) async throws {
        for account in accounts {
            try account.openingBalance.checkWithin(AmountBounds.balance, field: "opening_balance_yuan")
        }
        let ms = StoredInstant.millis(now)
        try await writer.write { db in
            // Prepared once for the whole batch.
            let insert = try db.cachedStatement(sql: """
                INSERT INTO account (id, meter_address, terminal_id, tariff, region, customer_class, alarm_micro_yuan,
                    trip_micro_yuan, is_protected, balance_micro_yuan, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, 0, ?, ?, ?)
                """)
            for a in accounts {
                try insert.execute(arguments: [a.id, a.meterAddress, a.terminalID, a.tariff, a.region, a.openingBalance.microYuan,
                                               ms, ms])
                try Ledgers.insertEntry(account: a.id, kind: .opening, amount: a.openingBalance, at: ms, reference: "account opened",
                                        in: db)
                try AuditTrail.append(AuditEvent(at: now, event: "account_created", accountID: a.id, meterAddress: a.meterAddress,
                                                 detail: Self.provisioningDetail(tariff: a.tariff, region: a.region,
                                                                                 customerClass: nil, isProtected: false)),
                                      in: db)
            }
        }
    }

    /// Folds the write-ahead log into the database file and closes it, so the next opener starts
    /// from a plain database file.
    public func checkpointAndClose() async throws {
        if let sqlite = writer.sqlite { try await sqlite.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } }
        try close()
    }
}
