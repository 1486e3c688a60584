import Foundation
import StationConfig
import Logging
import PostgresNIO
import Testing
@testable import Store
import StorePostgres

/// The throw-away PostgreSQL server `make test` starts (Tests/Postgres/cluster.sh) and names in
/// `CHARGECONTROL_TEST_POSTGRES`; without one, the PostgreSQL tests are skipped and say why
/// (`CHARGECONTROL_TEST_POSTGRES_SKIP`, or that the variable is not set).
enum PostgresTestServer {
    static let location: PostgresLocation? = ProcessInfo.processInfo.environment["CHARGECONTROL_TEST_POSTGRES"]
        .flatMap { try? PostgresLocation(url: $0) }

    static let skipReason: Comment = {
        let environment = ProcessInfo.processInfo.environment
        if let reason = environment["CHARGECONTROL_TEST_POSTGRES_SKIP"] { return Comment(rawValue: "no PostgreSQL server: \(reason)") }
        if let url = environment["CHARGECONTROL_TEST_POSTGRES"], (try? PostgresLocation(url: url)) == nil {
            return Comment(rawValue: "CHARGECONTROL_TEST_POSTGRES is not a usable postgresql:// URL: \(url)")
        }
        return "no PostgreSQL server: CHARGECONTROL_TEST_POSTGRES is not set (make test starts a throw-away cluster)"
    }()

    static let logger = Logger(label: "postgres-test")

    static func connect(_ location: PostgresLocation) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: location.connectionConfiguration(), id: 1, logger: logger)
    }

    /// A new, empty database of its own on the test server (left for the throw-away cluster's end).
    static func createDatabase() async throws -> PostgresLocation {
        try await PostgresAdmin.createDatabase(on: #require(location, skipReason), named: PostgresAdmin.freshName("cc_test"))
    }

    /// Runs `body` on a connection to a new, empty database of its own, dropped afterwards.
    static func withDatabase<T: Sendable>(_ body: (PostgresConnection, PostgresLocation) async throws -> T) async throws -> T {
        let server = try #require(location, skipReason)
        let database = try await createDatabase()
        let name = database.database
        let admin = try await connect(server)
        let connection = try await connect(database)
        do {
            let value = try await body(connection, database)
            try await connection.close()
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
            try await admin.close()
            return value
        } catch {
            try? await connection.close()
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
            try? await admin.close()
            throw error
        }
    }
}
