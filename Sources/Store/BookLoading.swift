import Synchronization

/// The account book's load at a start: its source until a loader takes it, then how it went.
final class BookLoading: Sendable {
    private struct State {
        /// Waiting for a loader; nil while one reads it, and once loaded.
        var source: AccountBook.LoadSource?
        var outcome: BookLoad?
    }

    private let state: Mutex<State>

    init(_ source: AccountBook.LoadSource) {
        state = Mutex(State(source: source))
    }

    /// The source, for one loader at a time; nil while another reads it or once loaded.
    func take() -> AccountBook.LoadSource? {
        state.withLock { s in
            defer { s.source = nil }
            return s.source
        }
    }

    /// A loader failed: the next may try again.
    func giveBack(_ source: AccountBook.LoadSource) {
        state.withLock { $0.source = source }
    }

    /// The book holds what was loaded: no loader may take the source again.
    @discardableResult
    func finish(_ outcome: BookLoad, seconds: Double) -> BookLoad {
        var outcome = outcome
        outcome.seconds = seconds
        state.withLock { s in
            s.source = nil
            s.outcome = outcome
        }
        return outcome
    }

    /// How the book was loaded; nil until it is.
    var outcome: BookLoad? { state.withLock { $0.outcome } }
}
