/// `[api]`: the HTTP API's socket and its bearer tokens.
public struct APISettings: Sendable, Hashable {
    /// Where the API listens. Default `127.0.0.1:8645`.
    public var listen: ListenAddress
    /// Whether `listen` may be other than a loopback address. Default false: the API carries
    /// payments and relay commands, so reaching it from the network is an explicit decision.
    public var allowRemote: Bool
    /// One `ROLE TOKEN` pair a line, `#` comments. Default `/etc/chargecontrol/tokens`.
    public var tokensFile: String

    static let keys = ["listen", "allow_remote", "tokens_file"]

    static func read(_ root: Section, _ reader: TableReader) -> APISettings {
        let section = reader.section(root, "api", known: keys)
        let fallback = ListenAddress(host: "127.0.0.1", port: 8645)
        let listen = reader.value(section, "listen", default: fallback, example: "127.0.0.1:8645") {
            (text: String) throws(InvalidValue) -> ListenAddress in try ListenAddress(text)
        }
        let allowRemote = reader.boolean(section, "allow_remote", default: false)
        if !listen.isLoopback && !allowRemote && reader.isValid(section.key("listen"), section.key("allow_remote")) {
            reader.report(section.key("listen"), """
                "\(listen)" is not a loopback address: the API would be reachable from the network; \
                set \(section.key("allow_remote")) = true to mean it, or listen on 127.0.0.1 or [::1]
                """)
        }
        return APISettings(listen: listen, allowRemote: allowRemote,
                           tokensFile: reader.path(section, "tokens_file", default: "/etc/chargecontrol/tokens"))
    }
}

extension ListenAddress {
    /// A known-good address, for defaults.
    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
