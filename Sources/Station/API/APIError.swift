import Foundation
import Hummingbird

/// A refusal the API answers with: a status and `{"error": "…", "code": "…"}`, the message
/// saying what is wrong for a person and the code for a program (INTERFACES.md v2 "Operators";
/// the codes are listed in `deploy/openapi.yaml`, `ErrorCode`).
public struct APIError: Error, HTTPResponseError, Sendable, Hashable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// Machine-readable: `unknown_account`, `order_conflict`, …; by default the status's own.
    public let code: String
    /// Extra response headers (`WWW-Authenticate` on 401).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, code: String? = nil) {
        self.status = status
        self.message = message
        self.code = code ?? Self.code(of: status)
    }

    static func badRequest(_ message: String, code: String? = nil) -> APIError { APIError(.badRequest, message, code: code) }
    static func notFound(_ message: String, code: String? = nil) -> APIError { APIError(.notFound, message, code: code) }
    static func unprocessable(_ message: String, code: String? = nil) -> APIError {
        APIError(.unprocessableContent, message, code: code)
    }
    static func conflict(_ message: String, code: String? = nil) -> APIError { APIError(.conflict, message, code: code) }

    /// The code of a refusal nothing more specific names.
    static func code(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 409: "conflict"
        case 413: "body_too_large"
        case 422: "unprocessable"
        case 502: "bad_meter_reply"
        case 503: "unavailable"
        case 504: "meter_timeout"
        case 500..<600: "internal_error"
        default: "error"
        }
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(ErrorBody(error: message, code: code), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    private struct ErrorBody: Encodable {
        let error: String
        let code: String
    }
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
            return error.kind == .malformed ? .badRequest(error.message) : .unprocessable(error.message, code: "out_of_bounds")
        case let error as HTTPError where error.status == .notFound:
            return .notFound("no such route", code: "unknown_route")
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
            return try (refusal ?? APIError(.internalServerError, "internal error; see the daemon's log", code: "internal_error"))
                .response(from: request, context: context)
        }
    }
}
