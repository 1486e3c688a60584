import Logging
import ServiceLifecycle
import StationConfig
import Store
import StorePostgres

/// Hears what the other nodes of a PostgreSQL station changed (`ClusterChanges`): accounts of
/// this node's terminals that another node's write changed (a payment it took) are read again
/// before their next use, and the dispatcher reads its queue again for the commands that write
/// queued (an allow-close goes out at once, not at the dispatcher's next safety-net scan).
struct ClusterChangesService: Service {
    let location: PostgresLocation
    let store: StationStore
    let dispatcher: Dispatcher
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown { [self] in
            for await event in ClusterChanges.listen(location, logger: logger) {
                switch event {
                case .accounts(let ids):
                    store.accountsChangedElsewhere(ids)
                case .listening:
                    do {
                        try await store.rereadOwnAccounts()
                    } catch {
                        logger.error("cannot mark this node's accounts to be read again", metadata: ["error": "\(error)"])
                    }
                }
                dispatcher.leasesChanged()
            }
        }
    }
}
