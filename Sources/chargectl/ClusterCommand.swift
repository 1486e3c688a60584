import ArgumentParser
import Foundation

/// `chargectl cluster`: the nodes sharing a PostgreSQL station and the terminals each leases
/// (GET /v1/cluster); `--json` prints the answer as it came.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "The nodes sharing the station and the terminals each leases (GET /v1/cluster).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await connection.run({ client throws(StationCallError) in try await client.call("GET", "v1/cluster") }) {
            ClusterCommand.describe($0.object)
        }
    }

    static func describe(_ c: [String: Any]) -> String {
        let nodes = c["nodes"] as? [[String: Any]] ?? []
        let clustered = c["clustered"] as? Bool ?? false
        var text = clustered
            ? "answered by node \(TextTable.cell(c["node"])); lease \(TextTable.cell(c["lease_seconds"])) s\n"
            : "one daemon (a SQLite station has no other nodes)\n"
        let columns = ["node", "live", "last_seen", "terminals", "leases"]
        text += TextTable.render(columns, nodes.map { n in
            let terminals = n["terminals"] as? [String] ?? []
            return [TextTable.cell(n["node"]), (n["live"] as? Bool ?? false) ? "yes" : (n["stopped_at"] is String ? "stopped" : "no"),
                    TextTable.cell(n["last_seen"]), "\(terminals.count)", terminals.isEmpty ? "-" : terminals.joined(separator: " ")]
        })
        let unleased = c["unleased"] as? [String] ?? []
        if !unleased.isEmpty { text += "\nunleased: " + unleased.joined(separator: " ") }
        return text
    }
}
