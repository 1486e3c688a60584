import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One POST of a notification to the webhook.
public struct WebhookRequest: Sendable, Hashable {
    public let url: URL
    /// The JSON payload.
    public let body: Data
    /// Sent as `Idempotency-Key`: the receiver drops a retry of a delivery whose answer was lost.
    public let idempotencyKey: String

    public init(url: URL, body: Data, idempotencyKey: String) {
        self.url = url
        self.body = body
        self.idempotencyKey = idempotencyKey
    }
}

/// Sends webhook requests. The delivery service's retry logic sits on top of this, so tests can
/// drive it with a scripted sender.
public protocol WebhookSender: Sendable {
    /// Posts `request` and returns the HTTP status code; throws when no answer came (connection
    /// refused, timeout, cancellation).
    func post(_ request: WebhookRequest) async throws -> Int
}

/// Why a webhook request got no usable answer.
public struct WebhookTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The production sender: Foundation's URLSession, no cookies, no cache, one timeout for the
/// whole exchange.
public struct URLSessionWebhookSender: WebhookSender {
    private let session: URLSession
    private let timeout: TimeInterval

    /// - Parameter timeout: the longest a delivery may take, connecting included.
    public init(timeout: Duration = .seconds(10)) {
        let (seconds, attoseconds) = timeout.components
        self.timeout = max(0.001, TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = self.timeout
        configuration.timeoutIntervalForResource = self.timeout
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    public func post(_ request: WebhookRequest) async throws -> Int {
        var http = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        http.httpMethod = "POST"
        http.setValue("application/json", forHTTPHeaderField: "Content-Type")
        http.setValue(request.idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        http.setValue("chargecontrold", forHTTPHeaderField: "User-Agent")
        http.httpBody = request.body
        let response: URLResponse
        do {
            (_, response) = try await session.data(for: http)
        } catch {
            throw WebhookTransportError((error as? URLError).map { "\($0.code): \($0.localizedDescription)" } ?? "\(error)")
        }
        guard let status = (response as? HTTPURLResponse)?.statusCode else {
            throw WebhookTransportError("not an HTTP response")
        }
        return status
    }
}
