import Foundation
import Hummingbird

/// Reads a JSON request body into `Body`, turning every decoding failure into a 400 that names
/// the key and what was expected. Money keys (`*_yuan`) given as JSON numbers get their own
/// message: money is never a number in this API.
enum JSONRequestBody {
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, context: APIRequestContext) async throws -> Body {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("request body is empty; expected a JSON object") }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.badRequest(message(for: error))
        }
    }

    /// A sentence naming the key and the problem.
    static func message(for error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \"\(path(context.codingPath + [key]))\""
        case .valueNotFound(_, let context):
            return "\"\(path(context.codingPath))\" must not be null"
        case .typeMismatch(let type, let context):
            let key = path(context.codingPath)
            if key.isEmpty { return "request body must be a JSON object" }
            if key.hasSuffix("_yuan") { return "\(key) must be a string like \"50.00\", not a JSON number" }
            return "\"\(key)\" must be \(describe(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "request body is not valid JSON"
                : "\"\(path(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return "request body could not be read"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        default: "of type \(type)"
        }
    }
}
