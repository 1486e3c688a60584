import Foundation
import Hummingbird
import Store

/// `POST /v1/backup` (operator): writes an online copy of the database into `[station] backups`
/// and answers 201 `{"path", "bytes", "audit_rows"}`; 409 while another copy is being written;
/// 503 when the station was built without a backup folder (in-process tests).
enum BackupRoutes {
    struct View: Encodable {
        let path: String
        let bytes: Int64
        let auditRows: Int

        enum CodingKeys: String, CodingKey { case path, bytes, auditRows = "audit_rows" }
    }

    static func register(_ routes: APIRoutes) {
        let backups = routes.station.settings.backups
        routes.on(.post, "backup", .operate) { request, context in
            // No body is needed (`{}` or none); an oversized one is refused (413) like on every route.
            _ = try await request.body.collect(upTo: context.maxUploadSize)
            guard let backups else { throw APIError(.serviceUnavailable, "this station has no backup folder") }
            do {
                let receipt = try await backups.backUp()
                return try JSONResponse.make(View(path: receipt.path, bytes: receipt.bytes, auditRows: receipt.auditRows),
                                             status: .created)
            } catch let busy as BackupInProgress {
                throw APIError.conflict(busy.description)
            } catch let failed as BackupError {
                throw APIError(.internalServerError, "backup failed: \(failed)")
            }
        }
    }
}
