import Testing
@testable import DLT645

/// A frame's description may end up in a log line or an error message: passwords never show.
struct FrameDescriptionTests {
    let address = MeterAddress(packed: 1)

    @Test func remoteControlHidesThePasswordButNotTheRest() {
        let frame = Frame(address: address, control: .request(.remoteControl),
                          data: [0x02, 0x12, 0x34, 0x56, 0x01, 0x00, 0x00, 0x00, 0x1A, 0x00])
        #expect(frame.description.contains("data=[** ** ** ** 01H 00H 00H 00H 1AH 00H]"))
    }

    @Test func writeHidesThePasswordAfterTheDataIdentifier() {
        let frame = Frame(address: address, control: .request(.write),
                          data: [0x01, 0x10, 0x00, 0x04, 0x02, 0x12, 0x34, 0x56, 0x09])
        #expect(frame.description.contains("data=[01H 10H 00H 04H ** ** ** ** 09H]"))
    }

    @Test func passwordChangeHidesOldAndNew() {
        let frame = Frame(address: address, control: .request(.changePassword),
                          data: [0x04, 0x0C, 0x00, 0x04] + [0x02, 0x11, 0x22, 0x33] + [0x02, 0x44, 0x55, 0x66])
        #expect(frame.description.contains("data=[04H 0CH 00H 04H ** ** ** ** ** ** ** **]"))
    }

    @Test func repliesAndReadsShowEverything() {
        let read = Frame(address: address, control: .request(.read), data: [0x00, 0x00, 0x01, 0x00])
        #expect(read.description.contains("data=[00H 00H 01H 00H]"))
        let reply = Frame(address: address, control: .reply(.remoteControl), data: [])
        #expect(reply.description.contains("data=[]"))
    }

    @Test func aShortFrameIsNotAnError() {
        let frame = Frame(address: address, control: .request(.remoteControl), data: [0x02, 0x12])
        #expect(frame.description.contains("data=[** **]"))
    }
}
