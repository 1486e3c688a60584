import Hummingbird

/// The request context of the station API: the role of the authenticated caller, and a small
/// body limit (a payment or an account is a few hundred bytes).
public struct APIRequestContext: RequestContext {
    /// Largest request body accepted; larger ones get 413.
    public static let maxBodyBytes = 64 * 1024

    public var coreContext: CoreRequestContextStorage
    /// Set by the bearer-token middleware; nil on routes without authentication.
    public var caller: APICaller?
    /// The caller's role.
    public var role: APIRole? { caller?.role }
    /// The caller's name: the actor of what the request writes and logs.
    public var actor: String? { caller?.name }

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }

    public var maxUploadSize: Int { Self.maxBodyBytes }
}
