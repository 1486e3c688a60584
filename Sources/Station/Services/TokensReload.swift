import Logging

/// SIGHUP's part for the API tokens: the file's tokens when it loads (put in force at once; the
/// journal names who was added or removed — names, never tokens), else the tokens in force stay
/// and the journal says why: a typo in the file must not lock every operator out.
struct TokensReload: Sendable {
    /// The tokens the API reads per request.
    let tokens: LiveTokens
    /// The configuration file, named in refusals (`api.tokens_file`).
    let configurationFile: String
    let logger: Logger

    /// The tokens in force after reading `path`, given `current`.
    func reload(path: String, current: APITokens) -> APITokens {
        let next: APITokens
        do {
            next = try LoadedConfiguration.loadTokens(path: path, configurationFile: configurationFile)
        } catch {
            logger.error("reload: tokens file refused; the \(current.count) tokens in force stay: \(error)",
                         metadata: ["event": "reload"])
            return current
        }
        tokens.replace(with: next)
        let before = Set(current.callers.map(Self.label)), after = Set(next.callers.map(Self.label))
        let rotated = next.rotatedCallers(comparedWith: current).map(Self.label)
        if before != after || current.count != next.count || !rotated.isEmpty {
            let added = after.subtracting(before).sorted(), removed = before.subtracting(after).sorted()
            logger.notice("""
                reload: tokens file \(path): \(next.count) tokens\
                \(added.isEmpty ? "" : "; added \(added.joined(separator: ", "))")\
                \(removed.isEmpty ? "" : "; removed \(removed.joined(separator: ", "))")\
                \(rotated.isEmpty ? "" : "; new token for \(rotated.joined(separator: ", "))")
                """, metadata: ["event": "reload"])
        }
        return next
    }

    private static func label(_ caller: APICaller) -> String { "\(caller.name) (\(caller.role.rawValue))" }
}
