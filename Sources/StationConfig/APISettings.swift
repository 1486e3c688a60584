/// `[api]`: the HTTP API's socket, its bearer tokens, and the limits that keep its clients from
/// taking the descriptors and time the meters need.
public struct APISettings: Sendable, Hashable {
    /// Where the API listens. Default `127.0.0.1:8645`.
    public var listen: ListenAddress
    /// Whether `listen` may be other than a loopback address. Default false: the API carries
    /// payments and relay commands, so reaching it from the network is an explicit decision.
    public var allowRemote: Bool
    /// One `ROLE TOKEN` pair a line, `#` comments. Default `/etc/chargecontrol/tokens`.
    public var tokensFile: String
    /// The most API connections open at once; the daemon lowers it further to what its descriptor
    /// limit leaves after the terminals, the database and the journal. Default 512.
    public var maxConnections: Int
    /// A connection with no request under way must deliver a complete request head this long
    /// after it opened or after its previous response; bytes trickling in do not extend it.
    /// Default `10s`.
    public var idleTimeout: Duration
    /// Once a request head arrived, its body must be complete within this. Default `30s`.
    public var bodyTimeout: Duration

    /// Above this, `max_connections` is more than Linux lets one process open (`fs.nr_open`).
    static let connectionsCeiling = 1_048_576
    /// Shorter timeouts would cut honest clients on a slow link.
    static let shortestTimeout = Duration.seconds(1)

    static let keys = ["listen", "allow_remote", "tokens_file", "max_connections", "idle_timeout", "body_timeout"]

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
                           tokensFile: reader.path(section, "tokens_file", default: "/etc/chargecontrol/tokens"),
                           maxConnections: maxConnections(section, reader),
                           idleTimeout: timeout(section, "idle_timeout", default: .seconds(10), reader),
                           bodyTimeout: timeout(section, "body_timeout", default: .seconds(30), reader))
    }

    private static func maxConnections(_ section: Section, _ reader: TableReader) -> Int {
        let fallback = 512
        let value = reader.integer(section, "max_connections", default: fallback, minimum: 1)
        guard value <= connectionsCeiling else {
            reader.report(section.key("max_connections"),
                          "\(value) is more connections than Linux lets a process open; want at most \(connectionsCeiling)")
            return fallback
        }
        return value
    }

    private static func timeout(_ section: Section, _ name: String, default fallback: Duration, _ reader: TableReader) -> Duration {
        let value = reader.duration(section, name, default: fallback)
        guard reader.isValid(section.key(name)), value < shortestTimeout else { return value }
        reader.report(section.key(name), """
            "\(value.configText)" is too short: a client on a slow link could not send its request in time; \
            want at least "\(shortestTimeout.configText)"
            """)
        return fallback
    }
}

extension ListenAddress {
    /// A known-good address, for defaults.
    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
