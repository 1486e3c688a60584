import Foundation
import Testing
@testable import chargectl

@Suite struct CSVFileTests {
    @Test func parsesQuotesCRLFAndBOM() throws {
        let csv = try CSVFile.parse("\u{FEFF}terminal_id,host,port\r\nT1,\"10.0.0.1\",9100\r\n\"T,2\",\"a \"\"b\"\"\",1\r\n\r\nT3,\"multi\nline\",2\n")
        #expect(csv.header == ["terminal_id", "host", "port"])
        #expect(csv.records.map(\.line) == [2, 3, 5])
        #expect(csv.records[1].fields == ["T,2", "a \"b\"", "1"])
        #expect(csv.records[2].fields == ["T3", "multi\nline", "2"])
    }

    @Test func lastLineWithoutNewlineAndEmptyFields() throws {
        let csv = try CSVFile.parse("a,b,c\n1,,3")
        #expect(csv.records == [CSVFile.Record(line: 2, fields: ["1", "", "3"])])
    }

    @Test func refusesBrokenFiles() {
        #expect(throws: CSVError.noHeader) { try CSVFile.parse("") }
        #expect(throws: CSVError.unterminatedQuote(line: 2)) { try CSVFile.parse("a,b\n\"x,y\n") }
        #expect(throws: CSVError.strayCharacterAfterQuote(line: 2)) { try CSVFile.parse("a,b\n\"x\"y,z\n") }
    }
}

@Suite struct ImportSchemaTests {
    @Test func accountRowsBecomeBodies() throws {
        let csv = try CSVFile.parse("""
            account_id,meter_address,terminal_id,tariff,region,alarm_yuan,protected,opening_balance_yuan
            A1,000000000001,T1,flat,north,30.00,yes,
            A2,000000000002,T1,flat,north,,no,10
            """)
        let schema = ImportSchema.accounts
        try schema.check(header: csv.header)
        let first = try schema.body(header: csv.header, record: csv.records[0])
        #expect(first == ["account_id": .string("A1"), "meter_address": .string("000000000001"), "terminal_id": .string("T1"),
                          "tariff": .string("flat"), "region": .string("north"), "alarm_yuan": .string("30.00"),
                          "protected": .bool(true)])
        let second = try schema.body(header: csv.header, record: csv.records[1])
        #expect(second["alarm_yuan"] == nil)
        #expect(second["opening_balance_yuan"] == .string("10"))
        #expect(second["protected"] == .bool(false))
    }

    @Test func badHeadersAndRowsNameTheLine() throws {
        #expect(throws: ImportRowError(line: 1, problem: "missing column(s) port")) {
            try ImportSchema.terminals.check(header: ["terminal_id", "host"])
        }
        #expect(throws: ImportRowError.self) { try ImportSchema.terminals.check(header: ["terminal_id", "host", "port", "colour"]) }
        #expect(throws: ImportRowError(line: 1, problem: "column \"host\" appears twice")) {
            try ImportSchema.terminals.check(header: ["terminal_id", "host", "host", "port"])
        }
        let csv = try CSVFile.parse("terminal_id,host,port\nT1,h,abc\nT2,h\n,h,1\n")
        let header = csv.header
        #expect(throws: ImportRowError(line: 2, problem: "port must be an integer, got \"abc\"")) {
            try ImportSchema.terminals.body(header: header, record: csv.records[0])
        }
        #expect(throws: ImportRowError(line: 3, problem: "expected 3 fields, found 2")) {
            try ImportSchema.terminals.body(header: header, record: csv.records[1])
        }
        #expect(throws: ImportRowError(line: 4, problem: "terminal_id is empty")) {
            try ImportSchema.terminals.body(header: header, record: csv.records[2])
        }
    }

    @Test func progressBarLine() {
        #expect(ProgressBar.line(label: "accounts", done: 5, total: 10, width: 10) == "accounts [#####.....] 5/10")
        #expect(ProgressBar.line(label: "x", done: 0, total: 0, width: 4) == "x [####] 0/0")
    }

    @Test func tables() {
        #expect(TextTable.render(["id", "kind"], [["1", "trip"], ["22", "alarm"]]) == "id  kind\n1   trip\n22  alarm")
        #expect(TextTable.pairs([("a", "1"), ("long", "2")]) == "a:    1\nlong: 2")
    }
}

@Suite struct TextTableTests {
    /// Foundation on Linux returns JSON numbers as NSNumber, which also casts to Bool: 1 must
    /// print as 1, not "yes".
    @Test func numbersAreNotBooleans() throws {
        let object = try JSONSerialization.jsonObject(with: Data(#"{"n":1,"z":0,"t":true,"f":false,"s":"x","d":2.5}"#.utf8))
        let o = try #require(object as? [String: Any])
        #expect(TextTable.cell(o["n"]) == "1")
        #expect(TextTable.cell(o["z"]) == "0")
        #expect(TextTable.cell(o["t"]) == "yes")
        #expect(TextTable.cell(o["f"]) == "no")
        #expect(TextTable.cell(o["s"]) == "x")
        #expect(TextTable.cell(o["d"]) == "2.5")
        #expect(TextTable.cell(nil) == "-")
    }
}

@Suite struct ConfigFileTests {
    @Test func parsesAndRefusesWithTheFileAndKey() throws {
        #expect(try ConfigFile.parse("url = \"http://10.0.0.5:8645\"\ntoken = \"t\"\n", path: "c.toml") == ConfigFile(url: "http://10.0.0.5:8645", token: "t"))
        #expect(throws: ConfigFile.Problem.self) { try ConfigFile.parse("uri = \"x\"", path: "c.toml") }
        do {
            _ = try ConfigFile.parse("url = 5", path: "c.toml")
            Issue.record("a number was accepted")
        } catch {
            #expect(error.description == "c.toml: url: want a string")
        }
        #expect(throws: ConfigFile.Problem.self) { try ConfigFile.parse("token = \"a\"\ntoken_file = \"/x\"", path: "c.toml") }
        // A header toml++ would abort on is refused as an error instead (fuzzing finding).
        #expect(throws: ConfigFile.Problem.self) { try ConfigFile.parse("[*\nurl = \"x\"", path: "c.toml") }
    }

    @Test func whereTheFileIs() {
        #expect(ConfigFile.defaultPath(environment: ["CHARGECTL_CONFIG": "/etc/x.toml", "HOME": "/root"]) == "/etc/x.toml")
        #expect(ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "/cfg", "HOME": "/root"]) == "/cfg/chargectl/config.toml")
        #expect(ConfigFile.defaultPath(environment: ["HOME": "/home/op"]) == "/home/op/.config/chargectl/config.toml")
        #expect(ConfigFile.defaultPath(environment: [:]) == nil)
    }

    @Test func aTokenInAReadableFileIsRefusedAndTokenFilesAreRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ctl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let open = folder.appendingPathComponent("open.toml").path
        try "token = \"secret-token-123456\"\n".write(toFile: open, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: open)
        #expect(throws: ConfigFile.Problem.self) { try ConfigFile.load(path: open) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: open)
        #expect(try ConfigFile.load(path: open).token == "secret-token-123456")
        let tokenFile = folder.appendingPathComponent("op.token").path
        try "from-file-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let viaFile = folder.appendingPathComponent("via.toml").path
        try "url = \"http://h:1\"\ntoken_file = \"\(tokenFile)\"\n".write(toFile: viaFile, atomically: true, encoding: .utf8)
        #expect(try ConfigFile.load(path: viaFile) == ConfigFile(url: "http://h:1", token: "from-file-token"))
        #expect(try ConfigFile.load(path: folder.appendingPathComponent("absent.toml").path) == ConfigFile())
    }
}
