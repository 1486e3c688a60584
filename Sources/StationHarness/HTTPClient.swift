import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP answer: status, raw body, and the body parsed as JSON when it is.
public struct HTTPAnswer: Sendable, CustomStringConvertible {
    public let status: Int
    public let body: Data
    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
    public var json: JSONValue? { JSONValue.parse(body) }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var description: String { "\(status) \(text)" }
}

/// A small JSON-over-HTTP client on URLSession (what `chargectl` uses too).
public struct HTTPClient: Sendable {
    public let session: URLSession

    /// - Parameters:
    ///   - timeout: per request and resource, seconds.
    ///   - connectionsPerHost: requests in flight to one host (the bench wants many).
    public init(timeout: Double = 10, connectionsPerHost: Int? = nil) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        if let connectionsPerHost { configuration.httpMaximumConnectionsPerHost = connectionsPerHost }
        session = URLSession(configuration: configuration)
    }

    public func send(_ method: String, _ url: String, token: String? = nil, json: String? = nil) async throws -> HTTPAnswer {
        guard let target = URL(string: url) else { throw HarnessFailure("bad URL \(url)") }
        var request = URLRequest(url: target)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw HarnessFailure("\(method) \(url): not an HTTP response") }
        return HTTPAnswer(status: http.statusCode, body: data)
    }
}

/// A JSON object literal from key/value pairs (values already JSON-encoded where needed).
public func jsonObject(_ pairs: KeyValuePairs<String, any Sendable>) -> String {
    var parts: [String] = []
    for (key, value) in pairs {
        let encoded: String
        switch value {
        case let s as String: encoded = jsonString(s)
        case let b as Bool: encoded = b ? "true" : "false"
        case let i as Int: encoded = String(i)
        default: encoded = jsonString("\(value)")
        }
        parts.append("\(jsonString(key)): \(encoded)")
    }
    return "{" + parts.joined(separator: ", ") + "}"
}

/// `s` as a JSON string literal.
public func jsonString(_ s: String) -> String {
    let data = try? JSONEncoder().encode(s)
    return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
}

/// The sum of metric family `name` over all its label sets in a Prometheus text exposition.
public func prometheusSum(of name: String, in exposition: String) -> Double {
    var total = 0.0
    for line in exposition.split(separator: "\n") where line.hasPrefix(name) {
        let rest = line.dropFirst(name.count)
        guard rest.first == " " || rest.first == "{" else { continue }
        total += line.split(separator: " ").last.flatMap { Double($0) } ?? 0
    }
    return total
}
