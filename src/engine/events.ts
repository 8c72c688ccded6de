/**
 * Events that reassembly and the protocol parsers hand to detectors. Unlike DecodedPacket these
 * are plain objects that a subscriber may keep (they own their bytes/strings), because they are
 * rare compared with packets.
 */

/** One side of a transport conversation. `ip` is the canonical text form (IPv4 dotted, IPv6 RFC 5952). */
export interface Endpoint {
  ip: string;
  port: number;
}

/** Identity of a TCP connection or UDP flow as the reassembler/dispatcher sees it. */
export interface ConnectionInfo {
  /** Stable id within the capture: `${client.ip}:${client.port}-${server.ip}:${server.port}#n`. */
  id: string;
  transport: 'tcp' | 'udp';
  /** The side that opened the connection (SYN sender), or the first talker when the start was missed. */
  client: Endpoint;
  server: Endpoint;
  /** Packet time (s) the connection was first seen. */
  startTime: number;
}

/** Which way bytes flowed. */
export type Direction = 'toServer' | 'toClient';

/** In-order bytes of one direction of a TCP stream. */
export interface StreamDataEvent {
  conn: ConnectionInfo;
  dir: Direction;
  /** Bytes in stream order (a copy or a slice the subscriber may keep). */
  data: Buffer;
  /** Stream offset of data[0] from the direction's initial sequence number + 1. */
  streamOffset: number;
  /** Frame number of the packet that completed this data. */
  frame: number;
  time: number;
}

/** Bytes that never arrived (loss or capture drop); the stream goes on after the gap. */
export interface StreamGapEvent {
  conn: ConnectionInfo;
  dir: Direction;
  streamOffset: number;
  length: number;
  frame: number;
  time: number;
}

/** Retransmitted bytes that differ from what was already delivered (evidence of injection). */
export interface StreamOverlapEvent {
  conn: ConnectionInfo;
  dir: Direction;
  streamOffset: number;
  length: number;
  /** True when the overlapping bytes differ from the ones already delivered. */
  conflicting: boolean;
  frame: number;
  time: number;
}

export interface StreamCloseEvent {
  conn: ConnectionInfo;
  reason: 'fin' | 'rst' | 'timeout' | 'evicted' | 'end';
  time: number;
  frame: number;
}

// ---- DNS ------------------------------------------------------------------------------------

export interface DnsQuestion {
  name: string;
  type: string;
  class: string;
}

export interface DnsAnswer {
  name: string;
  type: string;
  class: string;
  ttl: number;
  /** Text form of the record data: address for A/AAAA, name for CNAME/NS/PTR, JSON otherwise. */
  data: string;
}

export interface DnsMessageEvent {
  frame: number;
  time: number;
  transport: 'udp' | 'tcp';
  src: Endpoint;
  dst: Endpoint;
  srcMac?: string;
  id: number;
  isResponse: boolean;
  opcode: string;
  rcode: string;
  flags: { aa: boolean; tc: boolean; rd: boolean; ra: boolean; ad: boolean; cd: boolean };
  questions: DnsQuestion[];
  answers: DnsAnswer[];
  authorities: DnsAnswer[];
  additionals: DnsAnswer[];
}

// ---- TLS ------------------------------------------------------------------------------------

export interface TlsClientHelloEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  /** legacy_version from the ClientHello body (e.g. 0x0303). */
  version: number;
  /** Versions listed in supported_versions, GREASE removed. */
  supportedVersions: number[];
  cipherSuites: number[];
  /** Extension types in the order sent (GREASE kept: fingerprinting code removes it itself). */
  extensions: number[];
  supportedGroups: number[];
  ecPointFormats: number[];
  signatureAlgorithms: number[];
  sni?: string;
  alpn: string[];
}

export interface TlsServerHelloEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  version: number;
  /** Negotiated version (supported_versions extension when present, else version). */
  selectedVersion: number;
  cipherSuite: number;
  extensions: number[];
  alpn?: string;
}

export interface TlsCertificateInfo {
  /** SHA-256 of the DER, lowercase hex without separators. */
  sha256: string;
  subject: string;
  issuer: string;
  /** DNS names and IP addresses from subjectAltName. */
  san: string[];
  validFrom: string; // ISO-8601
  validTo: string; // ISO-8601
  serialNumber: string;
  keyType?: string; // 'rsa' | 'ec' | 'ed25519' | ...
  keyBits?: number;
  signatureAlgorithm?: string;
  selfSigned: boolean;
}

export interface TlsCertificateEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  /** Chain as sent: [0] is the server's own certificate. */
  chain: TlsCertificateInfo[];
  /** Certificates that node:crypto could not parse (count only). */
  unparsable: number;
}

// ---- HTTP -----------------------------------------------------------------------------------

export interface HttpHeader {
  name: string; // as sent
  value: string;
}

export interface HttpRequestEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  method: string;
  target: string;
  version: string;
  host?: string;
  headers: HttpHeader[];
  /** First bytes of the body (bounded by config), for form/credential inspection. */
  body: Buffer;
  bodyLength: number;
}

export interface HttpResponseEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  version: string;
  status: number;
  reason: string;
  headers: HttpHeader[];
  /**
   * First bytes of the body (bounded by the parser's maxBody), transfer coding removed (chunk
   * framing stripped) but content coding kept: a `Content-Encoding: gzip` body is still gzip
   * here, decoding it is the subscriber's choice (and cost). Empty for HEAD/204/304/1xx.
   */
  body: Buffer;
  bodyLength: number;
}

// ---- line protocols (FTP, POP3, IMAP, SMTP, Telnet) ------------------------------------------

export type LineProtocol = 'ftp' | 'pop3' | 'imap' | 'smtp' | 'telnet';

/** One client command line, e.g. FTP `USER alice`, IMAP `a1 LOGIN bob pw`, SMTP `AUTH PLAIN ...`. */
export interface LineCommandEvent {
  conn: ConnectionInfo;
  protocol: LineProtocol;
  frame: number;
  time: number;
  /** IMAP tag when present. */
  tag?: string;
  /** Upper-cased command verb. */
  command: string;
  /** The rest of the line, unmodified (IMAP: literal markers `{n}` in place of literal contents). */
  argument: string;
  /** IMAP: contents of the command's small literals (≤ 256 bytes, at most 4), in order, as UTF-8 text. */
  literals?: string[];
}

/** One server reply line, e.g. FTP `230 Login successful`, POP3 `+OK`, IMAP `a1 OK ...`. */
export interface LineReplyEvent {
  conn: ConnectionInfo;
  protocol: LineProtocol;
  frame: number;
  time: number;
  tag?: string;
  /** Numeric code (FTP/SMTP) or status word (+OK/-ERR, OK/NO/BAD). */
  status: string;
  text: string;
}

/** Telnet text after option negotiation (IAC sequences) has been stripped, per direction. */
export interface TelnetTextEvent {
  conn: ConnectionInfo;
  dir: Direction;
  frame: number;
  time: number;
  text: string;
}

// ---- SNMP (UDP) and LDAP (TCP): credential-carrying binary protocols ---------------------------

/** One SNMP message (v1/v2c carry a clear community string; v3 uses USM user names). */
export interface SnmpMessageEvent {
  frame: number;
  time: number;
  src: Endpoint;
  dst: Endpoint;
  version: 'v1' | 'v2c' | 'v3';
  /** v1/v2c community string as sent (a secret: detectors must mask it before reporting). */
  community?: string;
  /** v3 USM user name when present. */
  user?: string;
  /** PDU kind: get, getnext, getbulk, set, response, trap, inform, report, encrypted (v3 privacy), unknown. */
  pdu: string;
  /** Request id (v1/v2c PDUs), to pair a request with its response. */
  requestId?: number;
  /** Response error-status (0 = noError) for response PDUs. */
  errorStatus?: number;
}

/** LDAP BindRequest (RFC 4511 §4.2). */
export interface LdapBindRequestEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  messageId: number;
  version: number;
  /** Bind DN as sent. */
  name: string;
  auth: 'simple' | 'sasl';
  /** Simple-bind password as sent (a secret: mask before reporting). Empty = anonymous/unauthenticated bind. */
  password?: string;
  /** SASL mechanism name. */
  mechanism?: string;
  /**
   * SASL credentials as sent (RFC 4511 §4.2: raw octets, no base64), cut to 1024 bytes; absent when
   * the request has none. A secret for PLAIN (RFC 4616: authzid NUL authcid NUL passwd) and for
   * LOGIN's password step: decode and mask before reporting, never keep.
   */
  saslCredentials?: Buffer;
}

/**
 * LDAP BindResponse: resultCode 0 = success, 49 = invalidCredentials, 14 = saslBindInProgress (a
 * multi-step SASL exchange goes on with another BindRequest, under a new message id).
 */
export interface LdapBindResponseEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  messageId: number;
  resultCode: number;
  diagnosticMessage: string;
}

/**
 * LDAP StartTLS (RFC 4511 §4.14): the extended request (OID 1.3.6.1.4.1.1466.20037) and its
 * response; after a response with resultCode 0 the connection is TLS and no longer parsed.
 */
export interface LdapStartTlsEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  messageId: number;
  phase: 'request' | 'response';
  /** Response only. */
  resultCode?: number;
}

// ---- other insecure / legacy application protocols -------------------------------------------
// Recognised by content (the port is only a hint, except for the r-services whose handshakes
// are too plain to tell apart otherwise). Events are few per connection.

/** Which application protocol a TCP connection speaks, emitted once when the dispatcher decides. */
export interface AppProtocolEvent {
  conn: ConnectionInfo;
  /** A ProtocolName of the dispatcher ('http', 'tls', 'smb', 'ldap', ...). */
  protocol: string;
  frame: number;
  time: number;
}

/** TFTP read or write request (RFC 1350 RRQ/WRQ) — the only TFTP packets on a well-known port. */
export interface TftpRequestEvent {
  frame: number;
  time: number;
  src: Endpoint;
  dst: Endpoint;
  op: 'read' | 'write';
  /** File name as sent (printable ASCII, at most 255 bytes). */
  filename: string;
  /** netascii, octet or mail (lower-cased). */
  mode: string;
}

/** The first reply to a TFTP request, sent to the client's port from the server's transfer port. */
export interface TftpReplyEvent {
  frame: number;
  time: number;
  /** The server's transfer endpoint (a new port, RFC 1350 §4). */
  src: Endpoint;
  dst: Endpoint;
  opcode: 'data' | 'ack' | 'error' | 'oack';
  errorCode?: number;
  errorMessage?: string;
  /** The request this answers. */
  request: TftpRequestEvent;
}

/**
 * One SMB message over NetBIOS session service / direct TCP: every negotiate, and the first
 * other message of each (direction, version) on a connection, so SMBv1 use shows without an event
 * per message.
 */
export interface SmbMessageEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  dir: Direction;
  /** 1 = `\xffSMB`; 2 = `\xfeSMB` (SMB 2.x/3.x); 3 = `\xfdSMB` transform header (SMB3 encryption). */
  version: 1 | 2 | 3;
  /** SMB1 command byte or SMB2 command number (0x72 / 0 = negotiate); -1 for a transform header. */
  command: number;
  isResponse: boolean;
  /** Negotiate request: SMB1 dialect strings or SMB2 revisions as hex ("0x0311"). */
  dialects?: string[];
  /** Negotiate response: the chosen dialect (SMB1: its name when the request was seen, else "#index"). */
  dialect?: string;
}

/** VNC / RFB handshake (RFC 6143 §7.1): versions and security types. */
export interface VncHandshakeEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  /** "003.008" as sent by the server and by the client. */
  serverVersion: string;
  clientVersion?: string;
  /** Security types the server offered (3.3: the single type it imposed). */
  offered: number[];
  /** The type in use: the client's choice (3.7+) or the server's (3.3); absent when not seen. */
  chosen?: number;
}

/**
 * BSD r-services handshakes: rlogin (513) `\0 clientUser \0 serverUser \0 term/speed \0`,
 * rsh (514) `stderrPort \0 clientUser \0 serverUser \0 command \0`, rexec (512)
 * `stderrPort \0 user \0 password \0 command \0`.
 */
export interface RemoteShellEvent {
  conn: ConnectionInfo;
  frame: number;
  time: number;
  protocol: 'rlogin' | 'rsh' | 'rexec';
  /** rlogin/rsh: the user on the client host. */
  clientUser?: string;
  /** The account on the server (rexec: the only user name). */
  user: string;
  /** rexec only: the password as sent (a secret: mask before reporting). */
  password?: string;
  /** rsh/rexec: the command (bounded); rlogin: terminal type/speed. */
  command?: string;
  terminal?: string;
}
