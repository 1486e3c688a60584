import NIOCore

extension LineCore {
    /// Runs the line until shutdown or cancellation: one loop opens connections when the machine
    /// asks for them, the other fires its deadlines. Both are child tasks of this call, so nothing
    /// outlives it.
    func run(connect: @escaping @Sendable (_ generation: Int) async throws -> any Channel) async {
        guard start() else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.connectLoop(connect) }
            group.addTask { await self.timerLoop() }
            // Either loop ends only at shutdown or cancellation; take the other down with it.
            await group.next()
            group.cancelAll()
        }
        shutdown()
        for channel in openChannels {
            try? await channel.closeFuture.get()
        }
    }

    private func connectLoop(_ connect: @Sendable (Int) async throws -> any Channel) async {
        while let g = await nextConnectRequest() {
            do {
                let channel = try await connect(g)
                if !connected(channel, generation: g) {
                    try? await channel.close()
                }
            } catch {
                connectFailed(generation: g, error: error)
            }
        }
    }

    private func timerLoop() async {
        while !Task.isCancelled {
            let seen = timerSignal.generation
            guard let deadline = armNextDeadline() else { return }
            if let deadline, deadline <= clock.now() {
                tick()
                continue
            }
            // Sleep until the deadline, or until an event moves it.
            if let deadline {
                await timerSignal.wait(since: seen) { try? await self.clock.sleepUntil(deadline) }
            } else {
                await timerSignal.wait(since: seen)
            }
            tick()
        }
    }
}
