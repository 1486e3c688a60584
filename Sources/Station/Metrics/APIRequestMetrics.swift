import Hummingbird
import Prometheus
import Synchronization

/// API requests by route, method and status, and their latency by route and method
/// (`chargecontrol_api_requests_total`, `chargecontrol_api_request_duration_seconds`). The route is
/// the matched template (`/v1/accounts/{id}`), so labels stay as few as the routes.
public final class APIRequestMetrics: Sendable {
    /// Seconds; requests answer from the store, so most fall in the first buckets.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let registry = PrometheusCollectorRegistry()
    private let recorded = Atomic<Bool>(false)

    public init() {}

    /// The families, announced (HELP and TYPE) even before the first request.
    func emit(into buffer: inout [UInt8]) {
        guard recorded.load(ordering: .acquiring) else {
            for (metric, type) in [(StationMetric.apiRequests, "counter"), (.apiRequestDuration, "histogram")] {
                buffer.append(contentsOf: "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(type)\n".utf8)
            }
            return
        }
        registry.emit(into: &buffer)
    }

    func record(route: String, method: String, status: Int, seconds: Double) {
        defer { recorded.store(true, ordering: .releasing) }
        registry.makeCounter(descriptor: StationMetric.apiRequests.descriptor,
                             labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeValueHistogram(descriptor: StationMetric.apiRequestDuration.descriptor, labels: [("route", route), ("method", method)],
                                    buckets: Self.buckets).record(seconds)
    }
}

/// Outermost: times every request and counts it with the status it was answered with (refusals
/// included: `APIErrorMiddleware`, inside it, has turned them into responses).
struct APIMetricsMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let metrics: APIRequestMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        var status = 500
        defer {
            let took = clock.now - start
            let route = context.endpointPath ?? "unmatched"
            metrics.record(route: route, method: request.method.rawValue, status: status,
                           seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        }
        let response = try await next(request, context)
        status = Int(response.status.code)
        return response
    }
}
