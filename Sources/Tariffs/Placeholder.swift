// Tariffs: work in progress.
