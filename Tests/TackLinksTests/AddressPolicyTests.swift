import Testing
@testable import TackLinks

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"), ("0x7F.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("017700000001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"), ("0", "0.0.0.0"), ("0.0.0.0", "0.0.0.0"), ("10.1.65535", "10.1.255.255"),
        ("8.8.8.8", "8.8.8.8"), ("[::1]", "0:0:0:0:0:0:0:1"), ("::ffff:127.0.0.1", "0:0:0:0:0:ffff:7f00:1"),
        ("[::ffff:7f00:1]", "0:0:0:0:0:ffff:7f00:1"), ("2606:4700::1111", "2606:4700:0:0:0:0:0:1111"),
    ])
    func parsesEverySpelling(host: String, expected: String) throws {
        #expect(try #require(IPAddress.parse(host)).description == expected)
    }

    @Test(arguments: ["localhost", "example.com", "256.0.0.1", "1.2.3.4.5", "1..2", "08.0.0.1", "0x1g", "[::1", ":::",
                      "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "::ffff:1.2.3", "4294967296", "127.0.0.1:80"])
    func namesAndJunkAreNotAddresses(host: String) {
        #expect(IPAddress.parse(host) == nil)
    }
}

@Suite struct AddressPolicyTests {
    let policy = AddressPolicy()

    @Test(arguments: [
        ("127.0.0.1", AddressRefusal.loopback), ("127.1", .loopback), ("2130706433", .loopback),
        ("0x7f000001", .loopback), ("0177.0.0.1", .loopback), ("[::1]", .loopback),
        ("[::ffff:127.0.0.1]", .loopback), ("::ffff:7f00:1", .loopback), ("::127.0.0.1", .loopback),
        ("64:ff9b::7f00:1", .loopback), ("2002:7f00:1::", .loopback),
        ("0.0.0.0", .unspecified), ("0", .unspecified), ("::", .unspecified),
        ("10.0.0.1", .privateNetwork), ("172.16.5.4", .privateNetwork), ("172.31.255.255", .privateNetwork),
        ("192.168.1.1", .privateNetwork), ("::ffff:10.0.0.1", .privateNetwork), ("fd00::1", .privateNetwork),
        ("fc00::1", .privateNetwork), ("64:ff9b:1::1", .privateNetwork),
        ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal), ("::ffff:169.254.169.254", .linkLocal),
        ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("ff02::1", .multicast),
        ("192.0.2.1", .documentation), ("198.51.100.7", .documentation), ("203.0.113.9", .documentation),
        ("2001:db8::1", .documentation),
        ("255.255.255.255", .broadcast), ("240.0.0.1", .reserved), ("198.18.0.1", .reserved), ("2001::1", .reserved),
        ("100::1", .reserved), ("4000::1", .reserved),
    ])
    func refuses(host: String, rule: AddressRefusal) throws {
        let address = try #require(IPAddress.parse(host))
        #expect(policy.refusal(for: address) == rule, "\(host)")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "172.15.255.255", "2606:4700::1111",
                      "::ffff:8.8.8.8", "64:ff9b::808:808", "2a00:1450::1"])
    func allowsPublicAddresses(host: String) throws {
        #expect(policy.refusal(for: try #require(IPAddress.parse(host))) == nil, "\(host)")
    }

    @Test func operatorsMayAllowRanges() throws {
        let allowing = AddressPolicy(allowed: [AddressRange("127.0.0.0/8")!, AddressRange("fd00::/8")!])
        #expect(allowing.refusal(for: IPAddress.parse("127.0.0.1")!) == nil)
        #expect(allowing.refusal(for: IPAddress.parse("::ffff:127.0.0.1")!) == nil)
        #expect(allowing.refusal(for: IPAddress.parse("fd12::1")!) == nil)
        #expect(allowing.refusal(for: IPAddress.parse("10.0.0.1")!) == .privateNetwork)
        #expect(AddressRange("10.0.0.0/33") == nil)
        #expect(AddressRange("nonsense") == nil)
        #expect(AddressRange("0.0.0.0/0")!.contains(IPAddress.parse("8.8.8.8")!))
        #expect(!AddressRange("0.0.0.0/0")!.contains(IPAddress.parse("::1")!))
    }
}
