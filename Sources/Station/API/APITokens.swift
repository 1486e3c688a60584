/// Who a token speaks for: its role, and its name from the tokens file (the actor in the audit
/// trail and `OPERATOR=` in the journal).
public struct APICaller: Sendable, Hashable {
    public let role: APIRole
    public let name: String

    public init(role: APIRole, name: String) {
        self.role = role
        self.name = name
    }
}

/// The bearer tokens the API accepts, each with its role and name. Lookups compare in constant
/// time against every token, so response timing does not reveal how much of a guess was right.
/// Tokens are never logged or described.
public struct APITokens: Sendable, CustomStringConvertible {
    private let entries: [(token: [UInt8], caller: APICaller)]

    /// Tokens and who they speak for; a later duplicate of a token is ignored (the tokens file
    /// refuses them).
    public init(_ entries: [(caller: APICaller, token: String)]) {
        var seen = Set<String>()
        self.entries = entries.compactMap { entry in
            seen.insert(entry.token).inserted ? (Array(entry.token.utf8), entry.caller) : nil
        }
    }

    /// Tokens and their roles, each named after its role (a two-field tokens-file line).
    public init(_ pairs: [(role: APIRole, token: String)]) {
        self.init(pairs.map { (caller: APICaller(role: $0.role, name: $0.role.rawValue), token: $0.token) })
    }

    /// How many tokens there are.
    public var count: Int { entries.count }

    /// The names of the tokens with their roles, in file order (no tokens): for the journal.
    public var callers: [APICaller] { entries.map(\.caller) }

    /// The callers whose tokens differ between `self` and `other` while their name and role stay
    /// (a rotation), for the journal: names only, never tokens.
    public func rotatedCallers(comparedWith other: APITokens) -> [APICaller] {
        func tokens(_ t: APITokens) -> [APICaller: Set<[UInt8]>] {
            t.entries.reduce(into: [:]) { $0[$1.caller, default: []].insert($1.token) }
        }
        let mine = tokens(self), theirs = tokens(other)
        return mine.keys.filter { caller in theirs[caller].map { $0 != mine[caller] } ?? false }
            .sorted { ($0.name, $0.role.rawValue) < ($1.name, $1.role.rawValue) }
    }

    /// Who `token` speaks for, or nil.
    public func caller(for token: String) -> APICaller? {
        let candidate = Array(token.utf8)
        var found: APICaller?
        for entry in entries where Self.constantTimeEquals(entry.token, candidate) {
            found = entry.caller
        }
        return found
    }

    /// The role `token` speaks for, or nil.
    public func role(for token: String) -> APIRole? {
        caller(for: token)?.role
    }

    /// Equality that looks at every byte of the longer input whatever the data.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }

    public var description: String { "APITokens(\(entries.count) tokens)" }
}
