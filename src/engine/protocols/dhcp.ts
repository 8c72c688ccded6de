/**
 * DHCPv4 (RFC 2131 over BOOTP, RFC 2132 options): just what the engine needs from a server's
 * reply — the message type (option 53) and the routers it hands out (option 3). Every read is
 * bounds-checked; anything that does not fit returns null.
 */

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const MAGIC = 0x63825363;
const FIXED = 236; // op..file, before the magic cookie

export const DHCP_OFFER = 2;
export const DHCP_ACK = 5;

export interface DhcpReplyInfo {
  /** Option 53, 0 when absent (plain BOOTP). */
  messageType: number;
  /** Option 3 addresses as unsigned 32-bit numbers, in the order given. */
  routers: number[];
  /** yiaddr: the address handed to the client. */
  yourIp: number;
}

/** Parses a BOOTREPLY (op 2) in `buf[off, off+len)`; null for requests and non-DHCP bytes. */
export function parseDhcpReply(buf: Buffer, off: number, len: number): DhcpReplyInfo | null {
  if (len < FIXED + 4 || buf[off] !== 2) return null;
  if (buf.readUInt32BE(off + FIXED) !== MAGIC) return null;
  const out: DhcpReplyInfo = { messageType: 0, routers: [], yourIp: buf.readUInt32BE(off + 16) };
  const end = off + len;
  let i = off + FIXED + 4;
  while (i < end) {
    const code = buf[i];
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    if (i + 2 > end) return null;
    const n = buf[i + 1];
    const s = i + 2;
    if (s + n > end) return null;
    if (code === 53 && n === 1) out.messageType = buf[s];
    else if (code === 3) for (let k = s; k + 4 <= s + n; k += 4) out.routers.push(buf.readUInt32BE(k));
    i = s + n;
  }
  return out;
}
