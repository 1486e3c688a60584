/// Who a bearer token speaks for (INTERFACES.md "HTTP API"): the tokens file maps each token to
/// one role.
public enum APIRole: String, Sendable, Hashable, CaseIterable {
    /// The billing system: posts payments and may read an account to show its new balance.
    case payments
    /// A person running the station: everything.
    case `operator`
    /// Dashboards and read-only users: every GET.
    case viewer
}

/// Which roles a route admits. Every route of the API declares one, so nothing is reachable by
/// default.
enum RouteAccess: Sendable {
    /// Reads: viewer and operator.
    case read
    /// Reading one account: viewer, operator, and payments (to show the balance after paying).
    case readAccount
    /// Posting payments: payments and operator.
    case pay
    /// Changes to provisioning and job review: operator only.
    case operate

    func admits(_ role: APIRole) -> Bool {
        switch (self, role) {
        case (_, .operator): true
        case (.read, .viewer), (.readAccount, .viewer), (.readAccount, .payments), (.pay, .payments): true
        default: false
        }
    }
}
