import Foundation
import Testing
@testable import Station

/// SIGHUP's tokens part on real files: a changed file is put in force at once and the journal
/// names who came and went; a broken one is refused with the reason and the old tokens stay.
@Suite struct TokensReloadTests {
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    @Test func aChangedFileTakesEffectABrokenOneIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write("operator alice aaaaaaaaaaaaaaaa1111\n", to: path)
        let first = try TokensFile.load(path: path)
        let live = LiveTokens(first)
        let logs = LogRecorder()
        let reload = TokensReload(tokens: live, configurationFile: "station.toml", logger: logs.logger("reload"))

        try Self.write("operator alice aaaaaaaaaaaaaaaa1111\nviewer dash bbbbbbbbbbbbbbbb2222\n", to: path)
        let second = reload.reload(path: path, current: first)
        #expect(second.count == 2)
        #expect(live.current.caller(for: "bbbbbbbbbbbbbbbb2222") == APICaller(role: .viewer, name: "dash"))
        let added = try #require(logs.events("reload").last)
        #expect(added.message.contains("2 tokens; added dash (viewer)"), "\(added.message)")

        for broken in ["operator alice short\n", "admin x cccccccccccccccc3333\n", ""] {
            try Self.write(broken, to: path)
            let kept = reload.reload(path: path, current: second)
            #expect(kept.count == 2)
            #expect(live.current.caller(for: "bbbbbbbbbbbbbbbb2222") != nil, "the old tokens stay")
            let refusal = try #require(logs.events("reload").last)
            #expect(refusal.level == .error)
            #expect(refusal.message.contains("tokens file refused; the 2 tokens in force stay"), "\(refusal.message)")
            #expect(refusal.message.contains("station.toml: api.tokens_file"))
            #expect(!refusal.message.contains("cccccccccccccccc3333"))
        }

        try Self.write("viewer dash bbbbbbbbbbbbbbbb2222\n", to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(reload.reload(path: path, current: second).count == 2, "a file others may read is refused too")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(reload.reload(path: path, current: second).count == 1)
        #expect(live.current.caller(for: "aaaaaaaaaaaaaaaa1111") == nil, "alice's token is gone")
        #expect(logs.events("reload").last?.message.contains("removed alice (operator)") == true)

        // A rotation: dash keeps name and role with a new token; the journal says so, never the token.
        let before = reload.reload(path: path, current: second)
        try Self.write("viewer dash dddddddddddddddd4444\n", to: path)
        let rotated = reload.reload(path: path, current: before)
        #expect(rotated.caller(for: "dddddddddddddddd4444") == APICaller(role: .viewer, name: "dash"))
        #expect(rotated.caller(for: "bbbbbbbbbbbbbbbb2222") == nil)
        let line = try #require(logs.events("reload").last).message
        #expect(line.contains("1 tokens; new token for dash (viewer)"), "\(line)")
        #expect(!line.contains("dddd") && !line.contains("bbbb"))
    }
}
