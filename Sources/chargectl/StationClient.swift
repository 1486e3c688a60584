import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One answer of the daemon.
struct StationAnswer: Sendable {
    let status: Int
    let body: Data

    /// The body as text (for `--json`), without a trailing newline.
    var text: String {
        String(decoding: body, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// The body as a JSON object, or empty.
    var object: [String: Any] {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
    }

    /// The body as a JSON list of objects, or empty.
    var list: [[String: Any]] {
        ((try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]]) ?? []
    }
}

/// Why a call did not succeed, and the exit code that says so.
enum StationCallError: Error, Sendable, CustomStringConvertible {
    /// The daemon answered 4xx with its `error`.
    case refused(status: Int, message: String)
    /// The daemon answered 5xx.
    case failed(status: Int, message: String)
    /// No answer at all.
    case unreachable(url: String, reason: String)

    var description: String {
        switch self {
        case .refused(let status, let message): "refused (\(status)): \(message)"
        case .failed(let status, let message): "the daemon failed (\(status)): \(message)"
        case .unreachable(let url, let reason): "cannot reach the daemon at \(url): \(reason)"
        }
    }

    var exitCode: Int32 {
        switch self {
        case .refused: ExitStatus.refused.rawValue
        case .failed, .unreachable: ExitStatus.unavailable.rawValue
        }
    }
}

/// The daemon's HTTP API over URLSession: the bearer token on every call, JSON in and out.
struct StationClient: Sendable {
    let baseURL: URL
    let token: String?

    /// Sends `method path` with `body`; a 2xx answer is returned, anything else thrown.
    func call(_ method: String, _ path: String, body: JSONObject? = nil,
              timeout: TimeInterval = 30) async throws(StationCallError) -> StationAnswer {
        guard let url = URL(string: path, relativeTo: baseURL) else {
            throw .unreachable(url: baseURL.absoluteString, reason: "bad path \(path)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            request.httpBody = try? encoder.encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw .unreachable(url: baseURL.absoluteString, reason: (error as NSError).localizedDescription)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let answer = StationAnswer(status: status, body: data)
        let message = answer.object["error"] as? String ?? answer.text
        switch status {
        case 200..<300: return answer
        case 400..<500: throw .refused(status: status, message: message)
        default: throw .failed(status: status, message: message)
        }
    }

    /// Percent-encodes one path segment or query value.
    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
