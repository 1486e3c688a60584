import Foundation
import Hummingbird

/// A refusal the API answers with: a status and `{"error": "…"}` saying what is wrong.
public struct APIError: Error, HTTPResponseError, Sendable, Hashable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// Extra response headers (`WWW-Authenticate` on 401).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    static func unprocessable(_ message: String) -> APIError { APIError(.unprocessableContent, message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(ErrorBody(error: message), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    private struct ErrorBody: Encodable { let error: String }
}

extension APIError {
    /// The API's answer to any error a route or Hummingbird threw: refusals stay as they are,
    /// store and station refusals get their fitting status, anything else is a 500 that does
    /// not leak internals.
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreRefusal:
            return error.apiError
        case let error as RequestRefusal:
            return APIError(error.kind == .malformed ? .badRequest : .unprocessableContent, error.message)
        case let error as HTTPError where error.status == .notFound:
            return .notFound("no such route")
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return APIError(.contentTooLarge, "request body larger than \(APIRequestContext.maxBodyBytes) bytes")
        case let error as HTTPError:
            return APIError(error.status, error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            return APIError(error.status, error.status.reasonPhrase)
        default:
            return nil
        }
    }
}

/// Turns every error below it into `{"error": "…"}`; unexpected errors are logged and become a
/// 500 whose message points at the log; 5xx refusals (an unreadable stored row) are logged too.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let refusal = APIError.from(error)
            // A 5xx the station can name (a stored row it cannot read) is its own fault as well: logged too.
            if refusal.map({ $0.status.kind == .serverError }) ?? true {
                context.logger.error("request failed", metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)",
                ])
            }
            return try (refusal ?? APIError(.internalServerError, "internal error; see the daemon's log"))
                .response(from: request, context: context)
        }
    }
}
