/// The bearer tokens the API accepts, each with its role. Lookups compare in constant time
/// against every token, so response timing does not reveal how much of a guess was right.
/// Tokens are never logged or described.
public struct APITokens: Sendable, CustomStringConvertible {
    private let entries: [(token: [UInt8], role: APIRole)]

    /// Tokens and their roles; a later duplicate of a token is ignored (the tokens file refuses them).
    public init(_ pairs: [(role: APIRole, token: String)]) {
        var seen = Set<String>()
        entries = pairs.compactMap { pair in seen.insert(pair.token).inserted ? (Array(pair.token.utf8), pair.role) : nil }
    }

    /// How many tokens there are.
    public var count: Int { entries.count }

    /// The role `token` speaks for, or nil.
    public func role(for token: String) -> APIRole? {
        let candidate = Array(token.utf8)
        var found: APIRole?
        for entry in entries where Self.constantTimeEquals(entry.token, candidate) {
            found = entry.role
        }
        return found
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
