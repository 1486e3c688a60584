import Foundation

/// `[notify]`: where low-balance, alarm, trip and restore events are posted.
public struct NotifySettings: Sendable, Hashable {
    /// The webhook (http or https) that receives events from the outbox; nil (the default) keeps
    /// them in the outbox undelivered.
    public var url: URL?

    static let keys = ["url"]

    static func read(_ root: Section, _ reader: TableReader) -> NotifySettings {
        let section = reader.section(root, "notify", known: keys)
        let url: URL? = reader.value(section, "url", default: nil, example: "https://sms-gateway.example/hook") {
            (text: String) throws(InvalidValue) -> URL? in
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                let host = url.host, !host.isEmpty
            else {
                throw InvalidValue("\"\(text)\" is not an http or https URL such as \"https://sms-gateway.example/hook\"")
            }
            return url
        }
        return NotifySettings(url: url)
    }
}
