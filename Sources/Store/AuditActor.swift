/// Who the audit rows written by the current task speak for: the name of the API token behind
/// the request (INTERFACES.md v2 "Operators"). The API binds it around each request, so every
/// row an API action writes — the action itself and the decisions it causes in the same
/// transaction — carries the operator; rows written by the station's own loops (collection,
/// dispatch) have none.
///
/// A task-local rather than a parameter on every store call: a write runs in the group commit's
/// task, not the caller's, so `StationStore.write` carries the caller's value over to it.
public enum AuditActor {
    /// The actor of the current task, nil outside an API request.
    @TaskLocal public static var current: String?
}
