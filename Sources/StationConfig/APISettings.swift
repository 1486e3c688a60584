/// `[api]`: the HTTP API's socket and its bearer tokens.
public struct APISettings: Sendable, Hashable {
    /// Where the API listens. Default `127.0.0.1:8645`.
    public var listen: ListenAddress
    /// One `ROLE TOKEN` pair a line, `#` comments. Default `/etc/chargecontrol/tokens`.
    public var tokensFile: String

    static let keys = ["listen", "tokens_file"]

    static func read(_ root: Section, _ reader: TableReader) -> APISettings {
        let section = reader.section(root, "api", known: keys)
        let fallback = ListenAddress(host: "127.0.0.1", port: 8645)
        return APISettings(
            listen: reader.value(section, "listen", default: fallback, example: "127.0.0.1:8645") {
                (text: String) throws(InvalidValue) -> ListenAddress in try ListenAddress(text)
            },
            tokensFile: reader.path(section, "tokens_file", default: "/etc/chargecontrol/tokens")
        )
    }
}

extension ListenAddress {
    /// A known-good address, for defaults.
    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
