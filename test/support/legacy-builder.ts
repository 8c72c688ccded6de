/**
 * Hand-built SMB, RFB (VNC) and r-services handshakes for protocol and detector tests, written
 * from the specifications (MS-CIFS, MS-SMB2, RFC 1002, RFC 6143, rshd(8)/rexecd(8)/RFC 1282).
 */

/** NetBIOS session message (type 0) around an SMB message. */
export function netbios(msg: Buffer, type = 0): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUIntBE(msg.length, 1, 3);
  return Buffer.concat([h, msg]);
}

/** SMB1 header (32 bytes) + words + bytes. */
export function smb1(command: number, response: boolean, words: Buffer, bytes: Buffer): Buffer {
  const h = Buffer.alloc(32);
  h.write('\xffSMB', 0, 'latin1');
  h[4] = command;
  h[9] = response ? 0x98 : 0x18;
  h.writeUInt16LE(0xc853, 10);
  const bc = Buffer.alloc(2);
  bc.writeUInt16LE(bytes.length, 0);
  return Buffer.concat([h, Buffer.from([words.length / 2]), words, bc, bytes]);
}

export const SMB1_DIALECTS = ['PC NETWORK PROGRAM 1.0', 'LANMAN1.0', 'LM1.2X002', 'NT LM 0.12'];

export function smb1NegotiateRequest(dialects = SMB1_DIALECTS): Buffer {
  const bytes = Buffer.concat(dialects.map((d) => Buffer.from(`\x02${d}\x00`, 'latin1')));
  return netbios(smb1(0x72, false, Buffer.alloc(0), bytes));
}

/** NT LM 0.12 style response: 17 words, the first the chosen dialect index. */
export function smb1NegotiateResponse(index: number): Buffer {
  const words = Buffer.alloc(34);
  words.writeUInt16LE(index, 0);
  return netbios(smb1(0x72, true, words, Buffer.alloc(8)));
}

/** SMB1 Session Setup AndX request (0x73), the first command after negotiate. */
export function smb1SessionSetup(): Buffer {
  return netbios(smb1(0x73, false, Buffer.alloc(26), Buffer.alloc(20)));
}

/** SMB2 header (64 bytes). */
export function smb2Header(command: number, response: boolean, messageId = 0): Buffer {
  const h = Buffer.alloc(64);
  h.write('\xfeSMB', 0, 'latin1');
  h.writeUInt16LE(64, 4);
  h.writeUInt16LE(command, 12);
  h.writeUInt32LE(response ? 1 : 0, 16);
  h.writeBigUInt64LE(BigInt(messageId), 24);
  return h;
}

export function smb2NegotiateRequest(dialects = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]): Buffer {
  const body = Buffer.alloc(36 + 2 * dialects.length);
  body.writeUInt16LE(36, 0);
  body.writeUInt16LE(dialects.length, 2);
  dialects.forEach((d, i) => body.writeUInt16LE(d, 36 + 2 * i));
  return netbios(Buffer.concat([smb2Header(0, false), body]));
}

export function smb2NegotiateResponse(dialect: number): Buffer {
  const body = Buffer.alloc(64);
  body.writeUInt16LE(65, 0);
  body.writeUInt16LE(dialect, 4);
  return netbios(Buffer.concat([smb2Header(0, true), body]));
}

/** An SMB2 message of `command` padded to `size` body bytes (e.g. a large READ response). */
export function smb2Message(command: number, response: boolean, size = 16): Buffer {
  return netbios(Buffer.concat([smb2Header(command, response, 5), Buffer.alloc(size, 0x41)]));
}

// ---- VNC ---------------------------------------------------------------------------------

export const rfbVersion = (v: string): Buffer => Buffer.from(`RFB ${v}\n`, 'latin1');
/** 3.7+ security-type list from the server. */
export const rfbTypes = (...types: number[]): Buffer => Buffer.from([types.length, ...types]);
/** 3.3: the server's single u32 security type. */
export function rfb33Type(t: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(t, 0);
  return b;
}

// ---- r-services --------------------------------------------------------------------------

export const rloginHandshake = (clientUser: string, serverUser: string, term = 'xterm/38400'): Buffer =>
  Buffer.from(`\0${clientUser}\0${serverUser}\0${term}\0`, 'latin1');
export const rshHandshake = (port: string, clientUser: string, serverUser: string, cmd: string): Buffer =>
  Buffer.from(`${port}\0${clientUser}\0${serverUser}\0${cmd}\0`, 'latin1');
export const rexecHandshake = (port: string, user: string, password: string, cmd: string): Buffer =>
  Buffer.from(`${port}\0${user}\0${password}\0${cmd}\0`, 'latin1');
