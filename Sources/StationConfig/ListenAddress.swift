/// Where the HTTP API listens: `"127.0.0.1:8645"`, `"0.0.0.0:8645"`, `"[::1]:8645"`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public let host: String
    /// The TCP port, 1–65535.
    public let port: Int

    /// Parses `HOST:PORT`; an IPv6 address goes in brackets.
    /// - Throws: ``InvalidValue`` saying what is wrong.
    public init(_ text: String) throws(InvalidValue) {
        let want = "want HOST:PORT such as \"127.0.0.1:8645\" or \"[::1]:8645\""
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw InvalidValue("\"\(text)\": \(want)")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw InvalidValue("\"\(text)\" has no port; \(want)") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw InvalidValue("\"\(text)\": put an IPv6 address in brackets, as in \"[::1]:8645\"") }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else { throw InvalidValue("\"\(text)\" has no host; \(want)") }
        guard !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            portText.count <= 5, let port = Int(portText)
        else { throw InvalidValue("\"\(text)\": port \"\(portText)\" is not a number from 1 to 65535") }
        guard (1...65535).contains(port) else { throw InvalidValue("\"\(text)\": port \(port) is outside 1 to 65535") }
        self.host = String(host)
        self.port = port
    }

    /// Whether the host is this machine only: `localhost`, an IPv4 address in 127.0.0.0/8, or
    /// `::1` (also written out in full). A name other than `localhost` is not: it may resolve
    /// to any address.
    public var isLoopback: Bool {
        if host.lowercased() == "localhost" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }), octets[0] == "127" { return true }
        let groups = host.split(separator: ":", omittingEmptySubsequences: false)
        guard host.contains(":"), groups.allSatisfy({ $0.count <= 4 && UInt16($0.isEmpty ? "0" : $0, radix: 16) != nil }) else {
            return false
        }
        // ::1 with any spelling of its leading zeros: every group zero but a final 1.
        let values = groups.map { UInt16($0.isEmpty ? "0" : $0, radix: 16) ?? 0 }
        let expands = host.contains("::") || groups.count == 8
        return expands && values.last == 1 && values.dropLast().allSatisfy { $0 == 0 }
    }

    /// `HOST:PORT`, with brackets around an IPv6 address.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
