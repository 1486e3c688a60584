import Synchronization

/// The tokens in force, replaced as a whole when SIGHUP brings a good tokens file (a broken one
/// leaves them as they are: `Reloader`). Every authenticated route reads them per request.
public final class LiveTokens: Sendable {
    private let tokens: Mutex<APITokens>

    public init(_ tokens: APITokens) {
        self.tokens = Mutex(tokens)
    }

    /// The tokens now.
    public var current: APITokens { tokens.withLock { $0 } }

    /// Puts `next` in force for every request from now on.
    public func replace(with next: APITokens) {
        tokens.withLock { $0 = next }
    }
}
