/// A CSV file as `chargectl import` reads it: RFC 4180 fields (commas, double quotes with `""`
/// inside, quoted line breaks), CRLF or LF, an optional UTF-8 byte-order mark, the first record
/// the header. Each record keeps the line it starts on, for error messages.
struct CSVFile: Sendable, Hashable {
    struct Record: Sendable, Hashable {
        let line: Int
        let fields: [String]
    }

    let header: [String]
    let records: [Record]

    /// Parses `text`; fails only when the file as a whole cannot be read (no header, an
    /// unterminated quote). Records with the wrong number of fields are the importer's business.
    static func parse(_ text: String) throws(CSVError) -> CSVFile {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var afterQuote = false
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0
        func endRecord() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        inQuotes = false
                        afterQuote = true
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "," {
                fields.append(field)
                field = ""
                afterQuote = false
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                endRecord()
                afterQuote = false
                line += 1
                recordLine = line
            } else if c == "\"" && field.isEmpty && !afterQuote {
                inQuotes = true
            } else if afterQuote {
                throw .strayCharacterAfterQuote(line: line)
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if inQuotes { throw .unterminatedQuote(line: recordLine) }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        guard let first = records.first else { throw .noHeader }
        return CSVFile(header: first.fields.map { $0.trimmingSpaces }, records: Array(records.dropFirst()))
    }
}

extension CSVFile {
    /// RFC 4180 text of `header` and `rows` (CRLF line ends, as the RFC has them): a field with
    /// a comma, a quote or a line break is quoted, quotes doubled. `parse` reads it back as it was.
    static func render(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(quoted).joined(separator: ",") + "\r\n" }.joined()
    }

    private static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Why a CSV file cannot be read at all.
enum CSVError: Error, Sendable, Hashable, CustomStringConvertible {
    case noHeader
    case unterminatedQuote(line: Int)
    case strayCharacterAfterQuote(line: Int)

    var description: String {
        switch self {
        case .noHeader: "1: empty file; expected a header line of column names"
        case .unterminatedQuote(let line): "\(line): a quoted field is never closed"
        case .strayCharacterAfterQuote(let line): "\(line): text after a closing quote (write \"\" for a quote inside a field)"
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
