import Hummingbird

/// Authenticates `Authorization: Bearer TOKEN` against the tokens in force and records the
/// caller (role and name) in the context; a missing or unknown token is 401. Whether the role may
/// use the route is the route's business (`APIRoutes`), answered with 403.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let tokens: LiveTokens

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("missing Authorization: Bearer token")
        }
        guard let token = Self.bearerToken(header), let caller = tokens.current.caller(for: token) else {
            throw Self.unauthorized("invalid bearer token")
        }
        var context = context
        context.caller = caller
        context.logger[metadataKey: "role"] = "\(caller.role.rawValue)"
        context.logger[metadataKey: "operator"] = "\(caller.name)"
        return try await next(request, context)
    }

    /// The token of a `Bearer` credential (scheme case-insensitive), or nil.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}
