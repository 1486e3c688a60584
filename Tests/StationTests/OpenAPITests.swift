import Foundation
import Hummingbird
import Testing
@testable import Station

/// `deploy/openapi.yaml` describes exactly the routes the server registers: the (method, path)
/// pairs of its `paths:` section equal those of `APIServer.buildRouter`'s router (Hummingbird
/// lists them, with captures written `{id}` as in OpenAPI).
///
/// The document is read without a YAML library: inside `paths:`, a line indented by two spaces
/// ending in `:` opens a path and a line indented by four spaces naming an HTTP method opens an
/// operation. The document keeps to that layout (block style for these two levels); anything
/// deeper is the operation's body.
@Suite struct OpenAPITests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/openapi.yaml")

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    struct Operation: Hashable, CustomStringConvertible {
        let method: String
        let path: String
        var description: String { "\(method.uppercased()) \(path)" }
    }

    /// The operations of the `paths:` section, each with the text of its body.
    static func operations(in yaml: String) -> [Operation: String] {
        var out: [Operation: String] = [:]
        var inPaths = false
        var path: String?
        var current: Operation?
        for raw in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            if !line.hasPrefix(" ") {
                inPaths = line.hasPrefix("paths:")
                current = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  "), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
                current = nil
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
                      let path, methods.contains(String(line.dropFirst(4).dropLast())) {
                let operation = Operation(method: String(line.dropFirst(4).dropLast()), path: path)
                #expect(out[operation] == nil, "\(operation) twice in the document")
                out[operation] = ""
                current = operation
            } else if let current {
                out[current, default: ""] += line + "\n"
            }
        }
        return out
    }

    @Test func documentMatchesTheRegisteredRoutes() async throws {
        let yaml = try String(contentsOf: Self.file, encoding: .utf8)
        #expect(yaml.hasPrefix("openapi: 3.1"))
        let documented = Self.operations(in: yaml)

        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let registered = Set(fixture.router.routes.map { Operation(method: $0.method.rawValue.lowercased(), path: $0.path.description) })
        #expect(registered.contains(Operation(method: "get", path: "/v1/accounts/{id}")), "\(registered)")
        #expect(registered.count >= 13)

        let missing = registered.subtracting(documented.keys)
        let extra = Set(documented.keys).subtracting(registered)
        #expect(missing.isEmpty, "routes without a description in openapi.yaml: \(missing.sorted { $0.description < $1.description })")
        #expect(extra.isEmpty, "openapi.yaml describes routes the server does not have: \(extra.sorted { $0.description < $1.description })")
    }

    /// Every operation but `/healthz` answers 401 and 403 and keeps the document's bearer
    /// security; `/healthz` opts out. Operations with a body answer 400 and 413.
    @Test func authenticationAndErrorsAreDescribed() throws {
        let yaml = try String(contentsOf: Self.file, encoding: .utf8)
        #expect(yaml.contains("\nsecurity:\n  - bearer: []\n"))
        #expect(yaml.contains("    bearer:\n      type: http\n      scheme: bearer\n"))
        #expect(yaml.contains("    Error:\n      type: object\n      required: [error, code]\n"))
        for (operation, body) in Self.operations(in: yaml) {
            if operation.path == "/healthz" {
                #expect(body.contains("security: []"))
                continue
            }
            #expect(!body.contains("security: []"), "\(operation) must not opt out of the bearer token")
            let inherited = body.contains("responses: *")
            #expect(inherited || (body.contains("'401':") && body.contains("'403':")), "\(operation) lacks 401/403")
            if body.contains("requestBody:") {
                #expect(inherited || (body.contains("'400':") && body.contains("'413':")), "\(operation) lacks 400/413")
            }
        }
    }
}
