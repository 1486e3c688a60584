import ChargeControl
import Hummingbird
import Store
import Tariffs

/// Store and station refusals that have a fitting HTTP status.
protocol StoreRefusal: Error {
    var apiError: APIError { get }
}

extension StoreError: StoreRefusal {
    var apiError: APIError {
        switch self {
        case .unknownTerminal, .totalOutOfRange: .unprocessable(description)
        case .unknownAccount, .unknownCommand, .unknownReviewItem, .unknownReading: .notFound(description)
        case .meterTakenByAnotherAccount, .openingBalanceAfterActivity, .reviewItemClosed, .lostRace, .reviewItemKind:
            .conflict(description)
        // The station's own fault, not the client's: a 500 that names the row, so the operator
        // knows which account to repair (the middleware logs it too).
        case .undecodableRow, .noReviewItemOpened: APIError(.internalServerError, description)
        }
    }
}

extension IllegalCommandTransition: StoreRefusal {
    var apiError: APIError { .conflict(description) }
}

extension ReviewActionRefusal: StoreRefusal {
    var apiError: APIError { .badRequest(description) }
}

extension IllegalReadingReviewTransition: StoreRefusal {
    var apiError: APIError { .conflict(description) }
}

/// The reading cannot be resolved the way asked (accept of a register that ran backwards, …):
/// the message says which resolution would do.
extension ResolutionRefused: StoreRefusal {
    var apiError: APIError { .conflict(description) }
}

extension AmountOutOfBounds: StoreRefusal {
    var apiError: APIError { .unprocessable(description) }
}

extension BalanceOutOfBounds: StoreRefusal {
    var apiError: APIError { .unprocessable(description) }
}

extension StationError: StoreRefusal {
    var apiError: APIError { .unprocessable(description) }
}

extension EvaluationError: StoreRefusal {
    var apiError: APIError { .unprocessable(description) }
}
