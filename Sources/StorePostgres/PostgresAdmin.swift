import Store
import Foundation
import Logging
import PostgresNIO
import StationConfig

/// Databases made on a PostgreSQL server for a station of their own (the bench's stations, the
/// tests' throw-away ones).
public enum PostgresAdmin {
    /// Creates the empty database `name` on `server` (its user needs CREATEDB) and returns its location.
    public static func createDatabase(on server: PostgresLocation, named name: String) async throws -> PostgresLocation {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !name.isEmpty else {
            throw PostgresStoreError(message: "\"\(name)\" is not a plain database name", sqlState: nil, sql: "")
        }
        let logger = Logger(label: "chargecontrol.postgres.admin")
        let admin = try await PostgresConnection.connect(configuration: server.connectionConfiguration(), id: 0, logger: logger)
        do {
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            try await admin.close()
        } catch {
            try? await admin.close()
            if let error = error as? PSQLError { throw PostgresStoreError(error, sql: "CREATE DATABASE \(name)") }
            throw error
        }
        return server.database(name)
    }

    /// A database name nobody has used: `prefix` and a random suffix.
    public static func freshName(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
    }
}
