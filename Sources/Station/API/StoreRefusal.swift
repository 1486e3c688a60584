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
        case .unknownTerminal: .unprocessable(description, code: "unknown_terminal")
        case .totalOutOfRange: .unprocessable(description, code: "total_out_of_range")
        case .unknownAccount: .notFound(description, code: "unknown_account")
        case .unknownCommand: .notFound(description, code: "unknown_command")
        case .unknownReviewItem: .notFound(description, code: "unknown_review_item")
        case .unknownReading: .notFound(description, code: "unknown_reading")
        case .meterTakenByAnotherAccount: .conflict(description, code: "meter_taken")
        case .openingBalanceAfterActivity: .conflict(description, code: "opening_balance_after_activity")
        case .reviewItemClosed: .conflict(description, code: "review_item_closed")
        case .reviewItemKind: .conflict(description, code: "review_item_kind")
        case .lostRace: .conflict(description, code: "concurrent_change")
        // The station's own fault, not the client's: a 500 that names the row, so the operator
        // knows which account to repair (the middleware logs it too).
        case .undecodableRow: APIError(.internalServerError, description, code: "stored_row_unreadable")
        case .noReviewItemOpened, .notClustered: APIError(.internalServerError, description, code: "internal_error")
        }
    }
}

extension IllegalCommandTransition: StoreRefusal {
    var apiError: APIError { .conflict(description, code: "illegal_transition") }
}

extension ReviewActionRefusal: StoreRefusal {
    var apiError: APIError { .badRequest(description, code: "invalid_resolution") }
}

extension IllegalReadingReviewTransition: StoreRefusal {
    var apiError: APIError { .conflict(description, code: "illegal_transition") }
}

/// The reading cannot be resolved the way asked (accept of a register that ran backwards, …):
/// the message says which resolution would do.
extension ResolutionRefused: StoreRefusal {
    var apiError: APIError { .conflict(description, code: "resolution_refused") }
}

extension AmountOutOfBounds: StoreRefusal {
    var apiError: APIError { .unprocessable(description, code: "out_of_bounds") }
}

extension BalanceOutOfBounds: StoreRefusal {
    var apiError: APIError { .unprocessable(description, code: "balance_out_of_bounds") }
}

extension StationError: StoreRefusal {
    var apiError: APIError {
        switch self {
        case .unknownTariff: .unprocessable(description, code: "unknown_tariff")
        case .unknownCustomerClass: .unprocessable(description, code: "unknown_customer_class")
        }
    }
}

extension EvaluationError: StoreRefusal {
    var apiError: APIError { .unprocessable(description) }
}
