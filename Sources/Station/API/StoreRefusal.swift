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
        case .unknownAccount, .unknownCommand, .unknownReviewItem: .notFound(description)
        case .meterTakenByAnotherAccount, .openingBalanceAfterActivity, .reviewItemClosed, .lostRace: .conflict(description)
        // The station's own fault, not the client's: a 500 that names the row, so the operator
        // knows which account to repair (the middleware logs it too).
        case .undecodableRow: APIError(.internalServerError, description)
        }
    }
}

extension IllegalCommandTransition: StoreRefusal {
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
