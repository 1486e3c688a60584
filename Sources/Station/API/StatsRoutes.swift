import Hummingbird
import Store
import StationConfig

/// `GET /v1/stats?region=R`: controlled accounts, accounts by state, consumption, total balance
/// and terminals online, for one region or (without `region`) the whole station; and the
/// station's job review as work orders: items closed by their due time ÷ items closed over the
/// last 30 days (`review_on_time_ratio`, null with none closed) and items open past due.
enum StatsRoutes {
    struct View: Encodable {
        let region: String?
        let accounts: Int
        let byState: [String: Int]
        let consumptionKWh, totalBalanceYuan: String
        let totalBalanceMicroYuan: Int64
        let terminals, terminalsOnline: Int
        let reviewOnTimeRatio: Double?
        let reviewClosed30d, reviewOverdue: Int
        /// Station-wide only (no `region`): the collector's coverage.
        var collection: CoverageView?

        init(_ s: StationStatistics, review: ReviewTimeliness) {
            region = s.figures.region
            accounts = s.figures.accounts
            byState = s.figures.accountsByState
            consumptionKWh = s.figures.consumption.kWhString
            totalBalanceYuan = s.figures.totalBalance.yuanString
            totalBalanceMicroYuan = s.figures.totalBalance.microYuan
            terminals = s.figures.terminalIDs.count
            terminalsOnline = s.terminalsOnline
            reviewOnTimeRatio = review.onTimeRatio
            reviewClosed30d = review.closed
            reviewOverdue = review.overdueOpen
        }

        enum CodingKeys: String, CodingKey {
            case region, accounts, terminals
            case byState = "by_state", consumptionKWh = "consumption_kwh", totalBalanceYuan = "total_balance_yuan"
            case totalBalanceMicroYuan = "total_balance_micro_yuan", terminalsOnline = "terminals_online"
            case reviewOnTimeRatio = "review_on_time_ratio", reviewClosed30d = "review_closed_30d", reviewOverdue = "review_overdue"
            case collection = "collection_coverage"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(region, forKey: .region)
            try c.encode(accounts, forKey: .accounts)
            try c.encode(byState, forKey: .byState)
            try c.encode(consumptionKWh, forKey: .consumptionKWh)
            try c.encode(totalBalanceYuan, forKey: .totalBalanceYuan)
            try c.encode(totalBalanceMicroYuan, forKey: .totalBalanceMicroYuan)
            try c.encode(terminals, forKey: .terminals)
            try c.encode(terminalsOnline, forKey: .terminalsOnline)
            try c.encode(reviewOnTimeRatio, forKey: .reviewOnTimeRatio)
            try c.encode(reviewClosed30d, forKey: .reviewClosed30d)
            try c.encode(reviewOverdue, forKey: .reviewOverdue)
            try c.encodeIfPresent(collection, forKey: .collection)
        }
    }

    /// `"collection_coverage": {"ratio", "classes": {NAME: {"meters", "read", "ratio", "interval"}},
    /// "stale_meters", "stale": [first addresses]}`.
    struct CoverageView: Encodable {
        struct ClassView: Encodable {
            let meters, read: Int
            let ratio: Double
            let interval: String
        }

        let ratio: Double
        let classes: [String: ClassView]
        let staleMeters: Int
        let stale: [String]

        init(_ c: CollectionCoverage) {
            ratio = c.ratio
            classes = c.classes.mapValues {
                ClassView(meters: $0.meters, read: $0.read, ratio: $0.ratio, interval: $0.interval.configText)
            }
            staleMeters = c.staleCount
            stale = c.stale
        }

        enum CodingKeys: String, CodingKey {
            case ratio, classes, stale
            case staleMeters = "stale_meters"
        }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.get, "stats", .read) { request, _ in
            let region = try request.uri.queryParameters.get("region").map { v throws(RequestRefusal) in
                try FieldValidation.identifier(v, "region")
            }
            let stats = try await station.core.statistics(region: region, terminalsOnline: station.settings.terminalsOnline())
            let review = try await station.core.reviewTimeliness()
            var view = View(stats, review: review)
            if region == nil { view.collection = station.settings.coverage.map { CoverageView($0()) } }
            return try JSONResponse.make(view)
        }
    }
}
