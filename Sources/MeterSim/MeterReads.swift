import DLT645

/// Answers to read-data (11H) requests.
enum MeterReads {
    static func reply(to di: DataIdentifier, address: MeterAddress, meter: MeterState,
                      parameters: WrittenParameters, environment env: MeterEnvironment) -> Reply {
        func data(_ value: [UInt8]) -> Reply { .data(address, di, value: value, followUp: false) }
        let noData = Reply.abnormal(address, .read, ErrorWord(UInt8(ErrorWord.noRequestedData)))
        let raw = di.rawValue
        switch raw {
        // Combined (0000xx00) equals forward here: no reverse energy is simulated.
        case 0x0000_0000, 0x0001_0000:
            return data(energy(meter.total))
        case 0x0000_0100, 0x0000_0200, 0x0000_0300, 0x0000_0400,
             0x0001_0100, 0x0001_0200, 0x0001_0300, 0x0001_0400:
            return data(energy(meter[register: Int(raw >> 8 & 0xFF)]))
        case 0x0000_FF00, 0x0001_FF00:
            guard meter.blockReads else { return noData }
            var value = energy(meter.total)
            for n in 1...4 { value += energy(meter[register: n]) }
            return data(value)
        case DataIdentifier.reverseActiveTotal.rawValue:
            return data(energy(0))
        case DataIdentifier.date.rawValue:
            guard let clock = env.clock(of: meter) else { return .abnormal(address, .read, ErrorWord(UInt8(ErrorWord.other))) }
            return data(clock.dateWireBytes)
        case DataIdentifier.time.rawValue:
            guard let clock = env.clock(of: meter) else { return .abnormal(address, .read, ErrorWord(UInt8(ErrorWord.other))) }
            return data(clock.timeWireBytes)
        case DataIdentifier.communicationAddress.rawValue:
            return data(address.wireBytes)
        case DataIdentifier.statusWord3.rawValue:
            return data(MeterBehavior.statusWord3(of: meter).wireBytes)
        default:
            // Writable parameters read back exactly what was written, their default until then.
            // Remaining and overdraft amounts (00900200/00900201) are not modelled: no requested data.
            if MeterParameters.format(of: di) != nil { return data(parameters.value(of: di, defaults: env.defaults)) }
            return noData
        }
    }

    /// A register value as unsigned XXXXXX.XX (registers are kept within range).
    static func energy(_ hundredths: Int64) -> [UInt8] {
        (try? NumberFormat.encodeUnsignedHundredths(floorMod(hundredths, MeterState.registerModulus))) ?? [0, 0, 0, 0]
    }
}
