import { BlockList, isIPv4, isIPv6 } from 'node:net';

// CIDR matching for a host's `restricted_to` and a token's `cidr` claim. A bare address is a
// /32 (or /128); IPv4-mapped IPv6 peers are compared as IPv4, as Rails sees them behind nginx.

export function ipInCidrs(ip: string, cidrs: readonly string[]): boolean {
  const address = ip.replace(/^::ffff:/, '');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net = '', bits] = cidr.split('/');
    const netFamily = isIPv4(net) ? 'ipv4' : isIPv6(net) ? 'ipv6' : undefined;
    if (!netFamily) continue;
    list.addSubnet(net, bits === undefined ? (netFamily === 'ipv4' ? 32 : 128) : Number(bits), netFamily);
  }
  return list.check(address, family);
}
