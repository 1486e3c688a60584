import Foundation
import Hummingbird
import Store
import Tariffs

/// What route handlers use: the station and the API settings.
struct APIStation: Sendable {
    let core: StationCore
    let settings: APIServerSettings
}

/// Where routes are registered: the authenticated `/v1` group, with a way to register a route
/// that states which roles may use it.
struct APIRoutes {
    let group: RouterGroup<APIRequestContext>
    let station: APIStation

    typealias Handler = @Sendable (Request, APIRequestContext) async throws -> Response

    /// Registers `handler` for `method path`, admitting only the roles `access` names (403 otherwise).
    func on(_ method: HTTPRequest.Method, _ path: RouterPath, _ access: RouteAccess, _ handler: @escaping Handler) {
        group.on(path, method: method) { request, context in
            guard let role = context.role else { throw APIError(.unauthorized, "missing Authorization: Bearer token") }
            guard access.admits(role) else {
                throw APIError(.forbidden, "the \(role.rawValue) role may not \(method.rawValue) \(request.uri.path)")
            }
            // Every audit row the request writes names the caller (`AuditActor`).
            return try await AuditActor.$current.withValue(context.actor) { try await handler(request, context) }
        }
    }

}
