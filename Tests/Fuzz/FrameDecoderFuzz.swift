// libFuzzer harness for the DL/T 645 frame decoder (issue 6, fuzzing).
//
// Built by Tests/Fuzz/build.sh together with Sources/DLT645/*.swift (no package build needed):
//   swiftc -sanitize=fuzzer,address -parse-as-library Sources/DLT645/*.swift Tests/Fuzz/FrameDecoderFuzz.swift
//
// Every input is decoded twice: in one piece, and in chunks whose size the first byte picks
// (the streaming path). Any crash, and any broken invariant below, is a finding (`fatalError`):
// - after `drain()` the decoder holds less than one maximal frame;
// - every decoded frame encodes (with a preamble) and decodes back to exactly that frame;
// - a frame that parses as a `Request` or `Reply` rebuilds a frame that parses to the same value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // In one piece, with the widest data cap the length byte allows.
    var whole = FrameDecoder(maxDataLength: Frame.maxDataLength)
    whole.append(bytes)
    for event in whole.drain() { check(event, preamble: Int(bytes[0] & 0x07)) }
    checkBuffered(whole)

    // In chunks of 1...64 bytes, with the default cap.
    let chunk = Int(bytes[0] & 0x3F) + 1
    var streaming = FrameDecoder()
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + chunk, bytes.count)
        streaming.append(bytes[offset..<end])
        for event in streaming.drain() { check(event, preamble: 0) }
        checkBuffered(streaming)
        offset = end
    }
    return 0
}

private func checkBuffered(_ decoder: FrameDecoder) {
    if decoder.bufferedCount >= Frame.overhead + decoder.maxDataLength {
        fatalError("decoder holds \(decoder.bufferedCount) bytes after drain (cap \(decoder.maxDataLength))")
    }
}

private func check(_ event: FrameDecoder.Event, preamble: Int) {
    let frame: Frame
    switch event {
    case .error(let error):
        _ = error.description // what the station logs must not crash either
        return
    case .frame(let decoded):
        frame = decoded
    }
    _ = frame.description
    roundTrip(frame, preamble: preamble, what: "decoded frame")

    if let request = try? Request(frame: frame) {
        let rebuilt = request.frame
        roundTrip(rebuilt, preamble: 0, what: "request frame")
        let again: Request
        do { again = try Request(frame: rebuilt) } catch {
            fatalError("Request \(request) rebuilds \(rebuilt), which does not parse: \(error)")
        }
        if again != request { fatalError("Request \(request) rebuilds \(rebuilt), which parses to \(again)") }
        _ = request.expectsReply
    }
    if let reply = try? Reply(frame: frame) {
        let rebuilt = reply.frame
        roundTrip(rebuilt, preamble: 0, what: "reply frame")
        let again: Reply
        do { again = try Reply(frame: rebuilt) } catch {
            fatalError("Reply \(reply) rebuilds \(rebuilt), which does not parse: \(error)")
        }
        if again != reply { fatalError("Reply \(reply) rebuilds \(rebuilt), which parses to \(again)") }
    }
}

/// `frame.encode()` then a fresh decoder must give back exactly `frame`, and nothing else.
private func roundTrip(_ frame: Frame, preamble: Int, what: String) {
    let wire: [UInt8]
    do { wire = try frame.encode(preamble: preamble) } catch {
        fatalError("\(what) \(frame) does not encode: \(error)")
    }
    var decoder = FrameDecoder(maxDataLength: Frame.maxDataLength)
    decoder.append(wire)
    let events = decoder.drain()
    guard events == [.frame(frame)], decoder.bufferedCount == 0 else {
        fatalError("\(what) \(frame) encodes to \(wire) which decodes to \(events), \(decoder.bufferedCount) bytes left")
    }
}
