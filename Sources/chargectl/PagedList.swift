import Foundation

/// A list the daemon answers a page at a time (`{"items": […], "next": …}`): one page, or
/// every page by following `next` to the end.
enum PagedList {
    /// `path` with `query` (name, value) pairs, values escaped; nil values left out.
    static func path(_ path: String, _ query: [(String, String?)]) -> String {
        let pairs = query.compactMap { name, value in value.map { name + "=" + StationClient.escape($0) } }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    /// The page of `base` with `query` starting after `after`, or with `all` every page from
    /// there joined into one answer whose `next` is null.
    static func fetch(_ client: StationClient, _ base: String, _ query: [(String, String?)], after: String?,
                      all: Bool) async throws(StationCallError) -> StationAnswer {
        let first = try await client.call("GET", path(base, query + [("after", after)]))
        guard all else { return first }
        var items = first.object["items"] as? [Any] ?? []
        var next = first.object["next"]
        while let cursor = next, !(cursor is NSNull) {
            let page = try await client.call("GET", path(base, query + [("after", TextTable.cell(cursor))]))
            items += page.object["items"] as? [Any] ?? []
            next = page.object["next"]
        }
        let joined = (try? JSONSerialization.data(withJSONObject: ["items": items, "next": NSNull()] as [String: Any],
                                                  options: [.sortedKeys])) ?? Data()
        return StationAnswer(status: first.status, body: joined)
    }

    /// The page's items as a table of `columns`, and where the next page starts when there is one.
    static func table(_ answer: StationAnswer, _ columns: [String]) -> String {
        let items = answer.object["items"] as? [[String: Any]] ?? []
        var text = TextTable.render(columns, items.map { item in columns.map { TextTable.cell(item[$0]) } })
        if let next = answer.object["next"], !(next is NSNull) {
            text += "\n(more: --after \(TextTable.cell(next)), or --all)"
        }
        return text
    }
}
