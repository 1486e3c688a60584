import Logging
import Testing
@testable import Systemd

@Suite("Journal fields and priorities")
struct JournalFieldTests {
    @Test(arguments: [
        ("meter", "METER"), ("command_id", "COMMAND_ID"), ("command-id", "COMMAND_ID"),
        ("Order.No", "ORDER_NO"), ("_hidden", "HIDDEN"), ("9lives", "LIVES"), ("__", nil), ("", nil),
    ] as [(String, String?)])
    func sanitize(key: String, field: String?) {
        #expect(JournalFieldName.sanitize(key) == field)
    }

    @Test func longNamesAreCut() {
        #expect(JournalFieldName.sanitize(String(repeating: "a", count: 80))?.count == 64)
    }

    @Test func priorities() {
        #expect(JournalLogHandler.priority(.critical) == 2)
        #expect(JournalLogHandler.priority(.error) == 3)
        #expect(JournalLogHandler.priority(.warning) == 4)
        #expect(JournalLogHandler.priority(.notice) == 5)
        #expect(JournalLogHandler.priority(.info) == 6)
        #expect(JournalLogHandler.priority(.debug) == 7)
    }

    @Test func notAJournalStream() {
        #expect(LogDestination.automatic(journalStream: nil) == .stderr)
        #expect(LogDestination.automatic(journalStream: "garbage") == .stderr)
        #expect(LogDestination.automatic(journalStream: "1:1") == .stderr)
    }
}
