import ChargeControl
import DLT645
import DLT645NIO

/// One attempt at a `write` command: 14H with the control password and operator code, then 11H of
/// the same identifier. Acknowledged only when the meter shows the value written: a meter that
/// said 94H but shows another value (or cannot be read) failed this attempt, so the queue retries
/// it and, in the end, a person looks at it.
enum ParameterWriteAttempt {
    /// The detail to store with the acknowledgement, or why the attempt failed.
    static func run(_ setting: ParameterSetting, to address: MeterAddress, on line: TerminalLine,
                    policy: DispatchPolicy) async -> Result<String, DispatchFailure> {
        let parameter: MeterParameter
        let bytes: [UInt8]
        do throws(DLT645Error) {
            (parameter, bytes) = try encode(setting)
        } catch {
            return .failure(.unsendable(error.description))
        }
        let request = Request.write(address, parameter.identifier, password: policy.password,
                                    operatorCode: policy.operatorCode, value: bytes)
        do throws(TerminalLineError) {
            let reply = try await line.send(request, priority: .control)
            guard case .acknowledged(_, .write) = reply else { return .failure(.unexpectedReply("\(reply.function)")) }
        } catch {
            return .failure(.line(error))
        }
        let shown: [UInt8]
        do throws(TerminalLineError) {
            let reply = try await line.send(.read(address, parameter.identifier), priority: .control)
            guard case .data(_, let identifier, let value, _) = reply, identifier == parameter.identifier else {
                return .failure(.unexpectedReply("\(reply.function)"))
            }
            shown = value
        } catch {
            return .failure(.readBackFailed("\(parameter.identifier) not read back after 94H: \(error)"))
        }
        guard shown == bytes else {
            let seen = (try? parameter.format.text(of: shown)) ?? shown.map { String($0, radix: 16) }.joined(separator: " ")
            return .failure(.readBackContradicts("\(parameter.identifier) (\(parameter.name)) reads \(seen), written \(setting.value)"))
        }
        return .success("\(parameter.identifier) (\(parameter.name)) = \(setting.value), confirmed by reading it back")
    }

    /// The parameter and its wire bytes, or why the setting cannot be written.
    static func encode(_ setting: ParameterSetting) throws(DLT645Error) -> (MeterParameter, [UInt8]) {
        let identifier = try DataIdentifier(setting.identifier)
        guard let parameter = MeterParameter.named(identifier) else {
            throw .valueOutOfRange(value: setting.identifier, format: "a writable parameter identifier")
        }
        return (parameter, try parameter.format.encode(setting.value))
    }
}
