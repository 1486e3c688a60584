import DLT645

/// Write-data (14H): the password, then either a parameter (stored exactly as written, read back
/// by 11H) or the clock (04000101 date, 04000102 time: sets the meter's clock whatever its offset).
enum MeterWrites {
    static func apply(_ di: DataIdentifier, value: [UInt8], password: Password, address: MeterAddress,
                      meter: inout MeterState, parameters: inout WrittenParameters,
                      environment env: MeterEnvironment) -> Reply {
        func refuse(_ err: UInt16) -> Reply { .abnormal(address, .write, ErrorWord(UInt8(err))) }
        guard password == env.password else { return refuse(ErrorWord.unauthorized) }
        if di == .date || di == .time {
            // A clock write that would leave the meter beyond the offsets it can hold (or the
            // years it can show) is refused like any malformed value.
            guard let clock = env.clock(of: meter), let target = MeterClock.written(di, value: value, onto: clock),
                  let offset = MeterClock.offset(showing: target, civilNow: env.civilNow,
                                                 utcOffsetSeconds: env.utcOffsetSeconds) else {
                return refuse(ErrorWord.other)
            }
            meter.clockOffset = offset
        } else {
            // "Other error" for an identifier the meter cannot write, as the interface asks; a
            // read of an unknown identifier is "no requested data" instead.
            guard let format = MeterParameters.format(of: di), format.accepts(value) else { return refuse(ErrorWord.other) }
            parameters.values[di.rawValue] = value
        }
        parameters.writes += 1
        return .acknowledged(address, .write)
    }
}
