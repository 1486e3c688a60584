// MeterSim: work in progress.
