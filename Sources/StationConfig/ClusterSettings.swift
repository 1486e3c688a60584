import Foundation

/// `[cluster]`: this daemon's name among the nodes sharing one PostgreSQL station, and how long
/// a terminal's lease lasts unless renewed (issue 16; README "Two nodes").
///
/// ```toml
/// [cluster]
/// node = "cc-a"     # default: the host's name
/// lease = "10s"     # a dead node's terminals are taken over after this
/// ```
///
/// Only a PostgreSQL station has nodes: a SQLite file has one daemon, which holds every terminal.
public struct ClusterSettings: Sendable, Hashable {
    /// The node's name in `terminal_lease` and `GET /v1/cluster`: letters, digits, `.`, `_`, `-`,
    /// at most 63 characters. Two daemons must never share one.
    public var node: String
    /// How long a lease lasts unless renewed; renewed every third of it. At least 1 s.
    public var lease: Duration

    public init(node: String = ClusterSettings.hostNode(), lease: Duration = .seconds(10)) {
        self.node = node
        self.lease = lease
    }

    static let keys = ["node", "lease"]

    /// The host's name as a node name (characters a node name may not have become `-`).
    public static func hostNode() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        let cleaned = String(host.map { isNodeCharacter($0) ? $0 : "-" }.prefix(63))
        return cleaned.isEmpty ? "node" : cleaned
    }

    static func isNodeCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
    }

    /// Checks a node name; nil when it is good, else what is wrong.
    public static func problem(node: String) -> String? {
        if node.isEmpty { return "a node name cannot be empty" }
        if node.count > 63 { return "\"\(node.prefix(20))…\" is too long; want at most 63 characters" }
        if !node.allSatisfy(isNodeCharacter) { return "\"\(node)\" may hold only letters, digits, '.', '_' and '-'" }
        return nil
    }

    static func read(_ root: Section, _ reader: TableReader, database: String) -> ClusterSettings {
        let section = reader.section(root, "cluster", known: keys)
        let fallback = ClusterSettings()
        if !section.table.keys.isEmpty && !PostgresLocation.isURL(database) {
            reader.report(section.path, "a SQLite station has one daemon and no nodes; [cluster] needs a postgresql:// database")
        }
        let node = reader.value(section, "node", default: fallback.node, example: "cc-a") { (text: String) throws(InvalidValue) -> String in
            if let problem = problem(node: text) { throw InvalidValue(problem) }
            return text
        }
        let lease = reader.duration(section, "lease", default: fallback.lease)
        if lease < .seconds(1) {
            reader.report(section.key("lease"), "\(lease.configText) is too short; want at least 1s")
        }
        return ClusterSettings(node: node, lease: max(lease, .seconds(1)))
    }
}
