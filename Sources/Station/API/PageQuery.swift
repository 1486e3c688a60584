import Foundation
import Hummingbird

/// The `limit` and `after` of a paged list (`GET /v1/accounts`, `/v1/commands`, `/v1/review`,
/// `/v1/audit`): keyset pagination, so a page costs an index seek whatever page it is, and rows
/// written between two pages are neither skipped nor shown twice.
struct PageQuery<Cursor: Sendable>: Sendable {
    /// Rows per page without `limit`, and the most one page holds.
    static var defaultLimit: Int { 100 }
    static var maxLimit: Int { 1000 }

    let limit: Int
    /// The `next` of the page before; nil: the first page.
    let after: Cursor?

    /// `limit` (default 100, 1...1000) and `after` (read by `cursor`) from the query; a bad
    /// value is a 400 naming the parameter.
    init(_ query: Parameters, cursor: (String) throws -> Cursor) throws {
        limit = try Self.limit(query) ?? Self.defaultLimit
        after = try query.get("after").map(cursor)
    }

    /// For lists whose v1 answer is a bare array: nil when the query has no `limit` (the v1
    /// shape), a page otherwise. `after` alone is refused: it only means something on a page.
    static func optional(_ query: Parameters, cursor: (String) throws -> Cursor) throws -> PageQuery? {
        guard query.get("limit") != nil else {
            guard query.get("after") == nil else {
                throw APIError.badRequest("after pages a list: give limit (1..\(maxLimit)) with it")
            }
            return nil
        }
        return try PageQuery(query, cursor: cursor)
    }

    /// How many rows to ask the store for: one more than the page, to know whether another follows.
    var fetchLimit: Int { limit + 1 }

    private static func limit(_ query: Parameters) throws -> Int? {
        guard let raw = query.get("limit") else { return nil }
        guard let value = Int(raw), (1...maxLimit).contains(value) else {
            throw APIError.badRequest("limit must be an integer from 1 to \(maxLimit), got \"\(raw)\"")
        }
        return value
    }

    /// `rows` as fetched with `fetchLimit`, cut to the page; `next` is the cursor of its last
    /// item when more rows follow, null on the last page.
    func page<Row, Item: Encodable>(_ rows: [Row], item: (Row) -> Item, cursor: (Row) -> Cursor) -> Page<Item, Cursor> {
        let shown = rows.prefix(limit)
        return Page(items: shown.map(item), next: rows.count > limit ? shown.last.map(cursor) : nil)
    }
}

extension PageQuery where Cursor == Int64 {
    /// A page of rows keyed by a positive integer id (commands, review items, audit rows).
    init(_ query: Parameters) throws {
        try self.init(query, cursor: PageCursor.id)
    }

    static func optional(_ query: Parameters) throws -> PageQuery? {
        try optional(query, cursor: PageCursor.id)
    }
}

/// Parsers of `after`.
enum PageCursor {
    /// A row id: a positive integer.
    static func id(_ raw: String) throws -> Int64 {
        guard let value = Int64(raw), value > 0 else { throw APIError.badRequest("after must be a positive integer id, got \"\(raw)\"") }
        return value
    }

    /// An account id, as `FieldValidation.identifier` takes it.
    static func accountID(_ raw: String) throws -> String {
        try FieldValidation.identifier(raw, "after")
    }
}

/// One page of a list: `{"items": […], "next": CURSOR | null}` (`next` always present).
struct Page<Item: Encodable, Cursor: Encodable>: Encodable {
    let items: [Item]
    let next: Cursor?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(next, forKey: .next)
    }

    enum CodingKeys: String, CodingKey { case items, next }
}
