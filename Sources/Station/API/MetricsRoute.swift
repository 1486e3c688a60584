import Hummingbird

/// `GET /metrics`: the Prometheus text format (`StationMetrics`).
///
/// Behind a bearer token like every call but `/healthz` (INTERFACES.md), with read access
/// (viewer or operator): the figures show balances at a glance and how many customers are cut
/// off, which is not for anyone on the network. Prometheus sends the token with
/// `authorization: {type: Bearer, credentials_file: /etc/prometheus/chargecontrol.token}` in
/// the scrape job; give it a `viewer` token.
enum MetricsRoute {
    static func register(on router: Router<APIRequestContext>, tokens: LiveTokens, station: APIStation, metrics: StationMetrics) {
        let group = router.group().add(middleware: BearerAuthMiddleware(tokens: tokens))
        APIRoutes(group: group, station: station).on(.get, "metrics", .read) { _, _ in
            let bytes = try await metrics.scrapeBytes()
            return Response(status: .ok, headers: [.contentType: StationMetrics.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
