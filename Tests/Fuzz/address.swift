// libFuzzer target: IP literals and the address policy. A parsed address prints as a spelling that parses back to
// it; where the C library's inet_aton/inet_pton also read an address, they read the same one; an IPv4 address
// judged inside IPv6 (mapped, NAT64, 6to4) gets the same verdict; a range contains its base and allows it.
import Glibc
@testable import TackLinks

let policy = AddressPolicy()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let host = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let address = IPAddress.parse(host) {
        precondition(IPAddress.parse(address.description) == address, "\(host) -> \(address) does not read back")
        _ = policy.refusal(for: address)
        if case .v4(let v4) = address {
            let b = [UInt8(v4 >> 24), UInt8(v4 >> 16 & 255), UInt8(v4 >> 8 & 255), UInt8(v4 & 255)]
            let verdict = policy.refusal(for: address)
            precondition(policy.refusal(for: .v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] + b)) == verdict)
            precondition(policy.refusal(for: .v6([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] + b)) == verdict)
            precondition(policy.refusal(for: .v6([0x20, 0x02] + b + [UInt8](repeating: 0, count: 10))) == verdict)
        }
    }
    // The C library, where it reads the same text as an address, must read the same address.
    if !host.utf8.contains(0) {
        var v4 = in_addr()
        if !host.contains(":"), inet_aton(host, &v4) != 0, let ours = IPAddress.parse(host) {
            precondition(ours == .v4(UInt32(bigEndian: v4.s_addr)), "\(host): inet_aton reads \(UInt32(bigEndian: v4.s_addr)), we read \(ours)")
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1, let ours = IPAddress.parse(host) {
            let theirs = withUnsafeBytes(of: &v6) { Array($0) }
            precondition(ours == .v6(theirs), "\(host): inet_pton reads \(theirs), we read \(ours)")
        }
    }
    if let range = AddressRange(host) {
        precondition(range.contains(range.base))
        precondition(AddressPolicy(allowed: [range]).refusal(for: range.base) == nil)
        precondition(AddressRange(range.description) == range, "\(range) does not read back")
    }
    return 0
}
