import Foundation

/// Where a PostgreSQL station lives: `[station] database = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]"`
/// (issue 16). `sslmode` is `disable` (the default, for a database on the host or a private
/// network), `require` (encrypted, the server's certificate not checked) or `verify-full`
/// (encrypted, the certificate checked against the system's roots and the host name).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Whether `database` names a PostgreSQL station rather than a SQLite file.
    public static func isURL(_ database: String) -> Bool {
        database.hasPrefix("postgresql://") || database.hasPrefix("postgres://")
    }

    /// Parses a `postgresql://` URL, naming what is wrong with a bad one.
    public init(url text: String) throws {
        guard Self.isURL(text), let url = URLComponents(string: text) else {
            throw PostgresLocationError("not a postgresql:// URL: \(Self.redacted(text))")
        }
        guard let host = url.host, !host.isEmpty else { throw PostgresLocationError("no host in \(Self.redacted(text))") }
        guard let user = url.user, !user.isEmpty else { throw PostgresLocationError("no user in \(Self.redacted(text))") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresLocationError("no database name (…/DATABASE) in \(Self.redacted(text))")
        }
        if let port = url.port, !(1...65535).contains(port) { throw PostgresLocationError("port \(port) out of range") }
        var tls = TLSMode.disable
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw PostgresLocationError("sslmode \(item.value ?? "") is not one of disable, require, verify-full")
                }
                tls = mode
            default:
                throw PostgresLocationError("unknown parameter \(item.name) (only sslmode is understood)")
            }
        }
        self.host = host
        port = url.port ?? 5432
        username = user.removingPercentEncoding ?? user
        password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }

    /// The URL again, password and all (for a configuration file the bench writes).
    public var url: String {
        let credentials = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
            + (password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0) } ?? "")
        return "postgresql://\(credentials)@\(host):\(port)/\(database)" + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// The URL without its password (for logs and errors).
    public var description: String {
        "postgresql://\(username)@\(host):\(port)/\(database)" + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// The same server, another database (tests create one each).
    public func database(_ name: String) -> PostgresLocation {
        var other = self
        other.database = name
        return other
    }

    private static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "(unreadable URL)"
    }
}

public struct PostgresLocationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
