import Foundation
import Testing
@testable import Station

@Suite struct APITokensFileTests {
    @Test func parsesRolesCommentsAndBlankLines() throws {
        let tokens = try TokensFile.parse("""
            # the billing system
            payments  aaaaaaaaaaaaaaaa1111

            operator\tbbbbbbbbbbbbbbbb2222
              # indented comment
            viewer cccccccccccccccc3333
            """, file: "tokens")
        #expect(tokens.count == 3)
        #expect(tokens.role(for: "aaaaaaaaaaaaaaaa1111") == .payments)
        #expect(tokens.role(for: "bbbbbbbbbbbbbbbb2222") == .operator)
        #expect(tokens.role(for: "cccccccccccccccc3333") == .viewer)
        #expect(tokens.role(for: "cccccccccccccccc333") == nil)
        #expect(tokens.role(for: "") == nil)
        #expect(!"\(tokens)".contains("aaaa"))
    }

    @Test(arguments: [
        ("admin aaaaaaaaaaaaaaaa1111", "tokens:1: unknown role \"admin\""),
        ("viewer", "tokens:1: expected \"ROLE NAME TOKEN\" (or \"ROLE TOKEN\"), found 1 fields"),
        ("viewer a b c", "tokens:1: expected \"ROLE NAME TOKEN\" (or \"ROLE TOKEN\"), found 4 fields"),
        ("viewer a b", "tokens:1: token shorter than 16 characters"),
        ("viewer al;ce aaaaaaaaaaaaaaaa1111", "tokens:1: name \"al;ce\" may hold only letters, digits and . _ - @"),
        ("viewer short", "tokens:1: token shorter than 16 characters"),
        ("viewer aaaaaaaaaaaaaaaa1111\n#\noperator aaaaaaaaaaaaaaaa1111", "tokens:3: duplicate token (first on line 1)"),
        ("# nothing\n", "tokens: no tokens"),
    ])
    func refusesWithFileAndLine(_ text: String, _ message: String) {
        #expect {
            _ = try TokensFile.parse(text, file: "tokens")
        } throws: { error in
            "\(error)".hasPrefix(message) && !"\(error)".contains("aaaaaaaa")
        }
    }

    /// `ROLE NAME TOKEN` names the caller; the old two-field line still loads, named after its role.
    @Test func namedAndOldFormLines() throws {
        let tokens = try TokensFile.parse("""
            operator alice aaaaaaaaaaaaaaaa1111
            operator bob.smith@west bbbbbbbbbbbbbbbb2222
            viewer cccccccccccccccc3333
            """, file: "tokens")
        #expect(tokens.caller(for: "aaaaaaaaaaaaaaaa1111") == APICaller(role: .operator, name: "alice"))
        #expect(tokens.caller(for: "bbbbbbbbbbbbbbbb2222") == APICaller(role: .operator, name: "bob.smith@west"))
        #expect(tokens.caller(for: "cccccccccccccccc3333") == APICaller(role: .viewer, name: "viewer"))
        #expect(tokens.callers.map(\.name) == ["alice", "bob.smith@west", "viewer"])
        #expect(!"\(tokens)".contains("alice"))
    }

    @Test func refusesFilesOthersMayRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("viewer aaaaaaaaaaaaaaaa1111\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect {
            _ = try TokensFile.load(path: path)
        } throws: { error in
            "\(error)" == "\(path): tokens file is readable by group or others (mode 0644); chmod 600 it"
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        #expect(throws: TokensFileError.tooOpen(file: path, mode: 0o640)) { try TokensFile.load(path: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try TokensFile.load(path: path).role(for: "aaaaaaaaaaaaaaaa1111") == .viewer)
        #expect(throws: TokensFileError.self) { try TokensFile.load(path: path + ".missing") }
    }

    @Test func constantTimeEquality() {
        #expect(APITokens.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!APITokens.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!APITokens.constantTimeEquals(Array("abc".utf8), Array("abc\0".utf8)))
        #expect(!APITokens.constantTimeEquals([], Array("a".utf8)))
        #expect(APITokens.constantTimeEquals([], []))
    }
}
