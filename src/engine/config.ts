import type { Severity } from './finding';

/**
 * Engine configuration: every threshold is a named option with a documented default
 * (DESIGN.md §3, in the spirit of Zeek's &redef constants). `netwarden analyze --config FILE`
 * takes a JSON file with any subset of these keys; unknown keys are an error so a typo
 * doesn't silently fall back to a default.
 */

export interface PacketAnomalyConfig {
  /**
   * IP protocol numbers that are not "unusual". Default: the protocols an ordinary enterprise
   * network carries (IANA numbers): HOPOPT 0, ICMP 1, IGMP 2, IPIP 4, TCP 6, UDP 17, IPv6 41,
   * IPv6-Route 43, IPv6-Frag 44, GRE 47, ESP 50, AH 51, ICMPv6 58, IPv6-NoNxt 59, IPv6-Opts 60,
   * OSPF 89, PIM 103, VRRP 112, L2TP 115, SCTP 132, UDPLite 136.
   */
  allowedIpProtocols: number[];
  /** Distinct sources tracked per anomaly kind before further sources are aggregated ("sampling"). */
  maxSourcesPerKind: number;
  /**
   * A first fragment carrying fewer TCP bytes than this is a "tiny fragment". Default 20, a whole
   * TCP header without options: RFC 1858 §3.1 — filters judge the header, so it must be in the
   * first fragment (the decoder's tinyFirstFragments counter uses the same bound).
   */
  tinyFragmentBytes: number;
}

/**
 * Virtual router MACs that legitimately answer for a shared gateway address: VRRP
 * 00:00:5e:00:01:{VRID} (RFC 5798 §7.3) and 00:00:5e:00:02:{VRID} for IPv6, HSRP v1
 * 00:00:0c:07:ac:{group} and v2 00:00:0c:9f:f{group} (Cisco HSRP configuration guide), GLBP
 * 00:07:b4:. Prefixes of the lowercase colon form.
 */
const VIRTUAL_ROUTER_MAC_PREFIXES = [
  '00:00:5e:00:01:',
  '00:00:5e:00:02:',
  '00:00:0c:07:ac:',
  '00:00:0c:9f:f',
  '00:07:b4:',
];

export interface ArpSpoofConfig {
  /**
   * A MAC counts as alive when it sent a frame this recently (s, packet time); an IP taken over
   * by a new MAC while the previous one is alive is a conflict, after a longer silence it is a
   * NIC swap / new DHCP lease and not an alert. 300 s: Linux keeps an unused neighbour entry at
   * most gc_stale_time (60 s) + base_reachable_time jitter before re-resolving, so a live host
   * talking on the LAN re-ARPs well within 5 minutes.
   */
  aliveWindow: number;
  /** A reply counts as solicited when its request was seen this recently (s). 5 s: Linux retries a request every retrans_time (1 s) for mcast_solicit (3) tries. */
  requestWindow: number;
  /**
   * Unsolicited, non-gratuitous replies from one MAC within `unsolicitedWindow` that make a
   * finding. 5 in 60 s: arpspoof/ettercap re-poison every 1–10 s; a couple of stray replies
   * whose request predates the capture must not alert.
   */
  unsolicitedReplies: number;
  unsolicitedWindow: number;
  /**
   * Distinct IPs one MAC may claim before it is a poisoner pattern. 8: multi-homed hosts and
   * containers hosts carry a handful of addresses; "arpspoof -t" against a subnet or ettercap's
   * full-LAN poisoning claims every address. Proxy-ARP routers belong in proxyArpMacs.
   */
  manyIpsThreshold: number;
  /** MAC prefixes allowed to answer for a shared address (VRRP/HSRP/GLBP virtual MACs). */
  virtualMacPrefixes: string[];
  /** MACs of routers doing proxy ARP (RFC 1027): they answer for other hosts' IPs by design. Default none. */
  proxyArpMacs: string[];
  /** IP bindings and stations (MACs) tracked; the least recently seen is dropped beyond these. */
  maxBindings: number;
  maxStations: number;
}

export interface GatewayMacConfig {
  /** Gateway IPv4 addresses. Default none: inferred from DHCP option 3, else from traffic. */
  gateways: string[];
  /**
   * Packets between a private and a public address one MAC must carry before it is taken as the
   * gateway MAC (when no gateway is configured or seen in DHCP), and the share of all such
   * packets it must hold. 50 packets / 0.8: a few TCP handshakes' worth, and a clear majority.
   */
  inferMinPackets: number;
  inferMinShare: number;
  /** Virtual router MAC prefixes (see arp-spoof). */
  virtualMacPrefixes: string[];
}

export interface TlsCertificateConfig {
  /** RSA keys shorter than this are weak. 2048: NIST SP 800-131A rev. 2 (112-bit security), CA/B Forum Baseline Requirements §6.1.5. */
  minRsaBits: number;
  /**
   * Leaf signature algorithms that are weak (names as tls-certificate.ts prints them). MD5 and
   * SHA-1: CA/B Forum Baseline Requirements §7.1.3.2 forbid both; chosen-prefix collisions exist.
   */
  weakSignatureAlgorithms: string[];
  /** Report a certificate whose SANs (CN when there are none) do not cover the SNI (RFC 6125). */
  checkHostname: boolean;
  /** Servers (SNI or IP, port) remembered, and connections waiting for their certificate. */
  maxServers: number;
  maxConnections: number;
}

export interface DnsSpoofConfig {
  /** A query waits this long (s) for its responses. 10 s: past glibc's 5 s timeout and dig's 5 s × retries. */
  queryTimeout: number;
  /**
   * Differing responses to one query within this many seconds of the first are a race. 1 s: a
   * forger and the resolver answer within milliseconds; a client retransmits after 1 s at the
   * earliest (glibc/dig 5 s, Windows 1 s), so answers to a retransmit fall outside.
   */
  raceWindow: number;
  /** Responses matching no query, per client, that make a finding (in bulk): 10 in 10 s — Kaminsky-style guessing sends thousands. */
  unsolicitedResponses: number;
  unsolicitedWindow: number;
  /**
   * Names under these suffixes may resolve to internal addresses (no rebinding finding):
   * special-use and home/corporate names (RFC 6761, RFC 6762 .local, RFC 8375 home.arpa, ICANN's
   * 2024 .internal, and the common .lan/.home/.corp/.localdomain). Add split-horizon domains.
   */
  rebindAllowedSuffixes: string[];
  /** Queries awaiting responses, and clients tracked for unsolicited responses. */
  maxPending: number;
}

export interface PortScanConfig {
  /**
   * Distinct ports of ONE target with failed attempts before a vertical scan is reported.
   * Default 15: Zeek's `Scan::port_scan_threshold` (policy/misc/scan.zeek, 15.0).
   */
  portScanThreshold: number;
  /**
   * Distinct targets with failed attempts on ONE port before a horizontal scan (and distinct
   * hosts probed before a host sweep) is reported. Default 25: Zeek's `Scan::addr_scan_threshold` (25.0).
   */
  addrScanThreshold: number;
  /**
   * A block scan (many ports on many hosts) needs at least this many targets AND this many ports
   * with failed attempts. Default 5 each: netwarden's choice — below that one of the two other
   * thresholds is the better description.
   */
  blockScanHosts: number;
  blockScanPorts: number;
  /**
   * Window (s, packet time) over which one scanner's failed attempts are counted; one finding per
   * scanner per window. Default 300: Zeek's `Scan::port_scan_interval` and `Scan::addr_scan_interval` (5 min).
   */
  interval: number;
  /**
   * A probe with no answer after this long (s, packet time) is "unanswered" (a failed attempt).
   * Default 5: Zeek's `tcp_attempt_delay` (init-bare.zeek, 5 secs), after which Zeek raises connection_attempt.
   */
  attemptTimeout: number;
  /**
   * UDP datagrams with at most this many payload bytes are tracked as probes (nmap -sU sends empty
   * datagrams to ports it has no payload for). Default 8: netwarden's choice, "empty or near-empty".
   */
  udpProbeMaxPayload: number;
  /** Probes awaiting an answer, all scanners together; beyond it the oldest is treated as unanswered. */
  maxPendingAttempts: number;
  /** Scanners tracked at once; beyond it the one whose window started first is closed early. */
  maxScanners: number;
  /** Distinct (target, port) pairs kept per scanner; further attempts are counted, not itemised ("sampling"). */
  maxPairsPerScanner: number;
}

export interface SynFloodConfig {
  /**
   * Incomplete handshakes per second (SYNs to one ip:port not completed by the client's ACK within
   * the same second) that make a second "hot". Default 50: ntopng's `syn_flood_victim` host check
   * (scripts/callbacks/interface/host/alerts/syn_flood_victim.lua, "gt 50" SYN/s).
   */
  minIncompleteRate: number;
  /** Share of that second's SYNs that must be incomplete (a busy server completes most). Default 0.5: netwarden's choice. */
  minIncompleteRatio: number;
  /**
   * A half-open entry not completed after this long (s) counts as timed out. Default 5: Zeek's
   * `tcp_attempt_delay` (5 secs).
   */
  handshakeTimeout: number;
  /** An episode ends after this many seconds (packet time) without a hot second. Default 30: netwarden's choice. */
  episodeGap: number;
  /** Half-open handshakes tracked, all targets together; beyond it the oldest expires early (noted in the finding). */
  maxHalfOpen: number;
  /** Targets (ip:port) tracked at once; beyond it the least recently active is dropped. */
  maxTargets: number;
  /** Sources counted individually per episode; beyond it distinct sources are estimated (noted in the finding). */
  maxSourcesPerEpisode: number;
  /** Sources named in the finding (the busiest first). */
  topSources: number;
}

export interface TcpHijackConfig {
  /**
   * Pure ACKs per second in EACH direction of one connection, with no payload in either, that make
   * an ACK storm (two desynchronised ends acknowledging each other's out-of-window segments,
   * Joncheray 1995). Default 50: netwarden's choice — idle connections send none, keep-alives one a minute.
   */
  ackStormRate: number;
  /**
   * Data starting more than this many bytes beyond the receiver's advertised window (scaled) is
   * "outside the window". Default 0: RFC 9293 §3.10.7.4 — the receiver must not accept it.
   */
  windowSlack: number;
  /** Connections tracked (from their SYN-ACK), and handshakes (SYN only) apart; the oldest eighth is dropped beyond it. */
  maxConnections: number;
  /** A SYN not answered by a SYN-ACK after this long (s) is forgotten. Default 5: Zeek's tcp_attempt_delay. */
  handshakeTimeout: number;
  /** A connection idle this long (s, packet time) is forgotten. 300: Zeek's tcp_inactivity_timeout, as reassembly. */
  idleTimeout: number;
}

export interface ConnectionRateConfig {
  /**
   * New connections (completed TCP handshakes + new UDP flows that got an answer) from one source in
   * one window that make an episode. Default 3000 per 60 s = 50/s: ntopng's `flow_flood_attacker`
   * host check ("gt 50" flows/s).
   */
  threshold: number;
  /** Window length (s, packet time). Default 60: ntopng evaluates that check once a minute. */
  window: number;
  /** A UDP flow idle this long (s) ends; the next datagram starts a new flow. 60: Zeek's udp_inactivity_timeout (1 min). */
  udpFlowTimeout: number;
  /** A handshake not completed after this long (s) is forgotten. Default 5: Zeek's tcp_attempt_delay. */
  handshakeTimeout: number;
  /** Sources tracked at once. */
  maxSources: number;
  /** Pending handshakes + UDP flows tracked; the oldest is dropped beyond it. */
  maxFlows: number;
}

export interface PlaintextCredentialsConfig {
  /**
   * Form/JSON field names holding the user name and the password (lower case; "a[b]" matches on
   * "b"). Defaults: the names login forms use (HTML autocomplete "username"/"current-password",
   * WordPress log/pwd, Java EE j_username/j_password, phpMyAdmin pma_username/pma_password, the
   * user/pass field lists of Ettercap's etter.fields) — add a site's own names here.
   */
  userFields: string[];
  passwordFields: string[];
  /**
   * FTP user names that mean an anonymous login (RFC 1635: "anonymous", and "ftp" that servers
   * accept as its alias). The "password" is by convention an e-mail address, not a secret: the
   * login is reported at info as `anonymous-login`, never as an exposed credential.
   */
  anonymousUsers: string[];
  /** Report anonymous FTP logins (info). Default true: tshark lists them, and they show FTP in use. */
  reportAnonymous: boolean;
  /**
   * A connection's login state (user named, password sent, reply awaited) is kept this long
   * after its last credential-related event (s, packet time). 120 s: FTP/POP3/IMAP/SMTP servers
   * answer a login within seconds (vsftpd delay_failed_login 1 s, Dovecot auth penalty at most
   * 15 s); a reply later than that is not paired and the attempt stays "unknown".
   */
  sessionTimeout: number;
  /** Connections/flows with login state at once; the least recently active is dropped beyond it. */
  maxSessions: number;
  /**
   * Credentials (protocol, client, server, user) tracked for attempt counts. Default 10000, the
   * engine's maxFindings: one finding each, so more could not be reported anyway; beyond it new
   * credentials are counted in `dropped`, as the finding store does.
   */
  maxCredentials: number;
  /** Distinct masked secrets listed per finding (password spraying shows as several). */
  maxSecretsPerFinding: number;
  /** Longest Telnet line (user name / password typed at a prompt) followed; longer is cut. 256: far past any real login. */
  telnetMaxLine: number;
  /**
   * Most bytes a gzip/deflate/br response body prefix may inflate to when a posted login form
   * answered 200 is read for a password input (the form shown again: the login failed). 256 KiB,
   * as cleartext-http's maxDecodedBody: HTML compresses 4-10x, so it covers the parser's whole
   * 64 KiB body prefix; a prefix that inflates past it is retried shorter, never held whole.
   */
  maxDecodedBody: number;
}

export interface NetworkBaselineConfig {
  /**
   * In auto mode (the CLI's default with --baseline), packets within this many seconds (packet
   * time) of the model's start are learned, later ones compared. 604800 = 7 days: one full
   * weekly cycle (weekday and weekend patterns) before anything is judged.
   */
  learnPeriod: number;
  /**
   * Internal networks (CIDR): their addresses are hosts of the network (learned with their MACs,
   * services, volume); everything else is an external peer. Default: RFC 1918, RFC 6598 shared
   * space, RFC 3927 link-local, RFC 4193 ULA and IPv6 link-local — set your public ranges here.
   */
  internalNetworks: string[];
  /**
   * Answers from ports at or above this are not services (passive FTP data, RPC callbacks and
   * other per-connection listeners live there). 32768: the start of Linux's default
   * ip_local_port_range (Windows starts at 49152, RFC 6335's dynamic range). 65536 = none ignored.
   */
  ephemeralPortMin: number;
  /**
   * An IPv6 address missing from the model, sent from a MAC the model knows (or one already
   * reported as a new host), is that device's new address and not a new host unless this is true:
   * SLAAC privacy addresses (RFC 8981) rotate daily and every interface brings a link-local one.
   * A new IPv4 address is always reported (with `macKnown` saying whether the device is known).
   */
  reportNewIpv6OfKnownMac: boolean;
  /**
   * Hourly volume (bytes or packets sent + received) of a host is anomalous when it is at least
   * `volumeZScore` standard deviations above its learned hourly mean AND `volumeMinRatio` times
   * that mean AND at least `volumeMinBytes` / `volumeMinPackets`. z 4: beyond what a normal
   * distribution gives once in ~30 000 hours; ratio 3 and 10 MB / 10 000 packets: a host whose
   * learned hours are tiny or uniform (stddev ≈ 0) does not alert on an ordinary download.
   */
  volumeZScore: number;
  volumeMinRatio: number;
  volumeMinBytes: number;
  volumeMinPackets: number;
  /**
   * Contacts a host initiates per hour (TCP SYNs, UDP flows it starts, ICMP echo requests):
   * anomalous with the same z-score and ratio rules as volume and at least this many. 600 = 10 a
   * minute: below that even a doubling is ordinary browsing.
   */
  connZScore: number;
  connMinRatio: number;
  connMinPerHour: number;
  /**
   * A host contacting this many external addresses that are not among its learned peers within
   * `newPeersWindow` seconds is "new external peers in bulk". 100 per hour: a browsing session
   * reaches tens of new CDN addresses an hour; worm fan-out, botnet check-ins and scanning reach
   * hundreds.
   */
  newPeersThreshold: number;
  newPeersWindow: number;
  /** A UDP flow idle this long (s) ends (for "a reply answers a request"). 60: Zeek's udp_inactivity_timeout. */
  udpFlowTimeout: number;
  /** Model entries not seen for this long (s, packet time) are forgotten when learning. 30 days: a host on leave is not "new" when it returns within the month. */
  forgetAfter: number;
  /** Caps of the model: hosts, MACs, services, protocols, MACs per host, peers per host and in all. */
  maxHosts: number;
  maxMacs: number;
  maxServices: number;
  maxProtocols: number;
  maxMacsPerHost: number;
  maxPeersPerHost: number;
  maxPeersTotal: number;
  /** Live tables while analysing: UDP flows, and hosts / finding keys tracked in detect mode. */
  maxFlows: number;
  maxTracked: number;
}

export interface CleartextHttpConfig {
  /**
   * Summaries kept at once, one per (Host header or server IP, server ip:port); the least
   * recently requested is dropped beyond it (its finding stays). 4096: far more web servers than
   * a LAN segment talks plain HTTP to in an hour, and a few MB of state at most.
   */
  maxHosts: number;
  /**
   * A summary idle this long (s, packet time) is closed; later requests to the host start a new
   * finding. 3600: an hour is the span a reviewer reads a browsing summary over, and it keeps a
   * day-long capture from merging unrelated visits into one line.
   */
  hostIdleTimeout: number;
  /** Distinct paths counted per host; beyond it the count stops and the finding says so. 256: enough to tell a page from a crawl. */
  maxPathsPerHost: number;
  /** Paths named in the finding (the first distinct ones), query strings always removed. 5: a glance, not a log. */
  samplePaths: number;
  /** Longest path shown (characters); longer ones are cut with "…". 100: a URL bar's worth. */
  maxPathLength: number;
  /** Clients listed per host; beyond it the list stops and the finding says so. 16. */
  maxClientsPerHost: number;
  /** Names kept per indicator kind (cookie names, form fields, auth schemes, login-form paths). 8. */
  maxIndicatorNames: number;
  /**
   * Cookie names (case-insensitive, exact) that carry a session: the defaults of PHP, Java
   * servlets, ASP.NET (session and forms auth), Express/connect, Django, Laravel, CodeIgniter,
   * Play, ColdFusion, Rack, and the generic session/sid/sessionid.
   */
  sessionCookieNames: string[];
  /**
   * Regular expressions (case-insensitive, whole name) for session cookies with variable names:
   * classic ASP (ASPSESSIONIDxxxxxxxx), Rails (_app_session), Drupal (SESS/SSESS + 32 hex),
   * WordPress login cookies.
   */
  sessionCookiePatterns: string[];
  /**
   * Regular expression (case-insensitive) a form field name must match to count as a password
   * field (urlencoded, multipart or JSON body, or query string): "password"/"passwd"/"passwort"/
   * "passphrase" anywhere (j_password, user[password], loginPassword), or pass/pwd/pw as a whole
   * word (user_pass) — but not passport or compass.
   */
  passwordFieldPattern: string;
  /** Server ports where TLS means HTTPS, for the SSL-stripping check. 443: the https default (RFC 9110 §4.2.2); add 8443 etc. where used. */
  httpsPorts: number[];
  /**
   * How long (s, packet time) a host seen on HTTPS is remembered for the SSL-stripping check.
   * 86400: "in the same capture" for any capture of a day; the cap below bounds memory.
   */
  httpsMemory: number;
  /**
   * A 2xx response counts as content for the SSL-stripping check when its Content-Type starts
   * with one of these (case-insensitive; a response without Content-Type counts too); [] = any
   * 2xx. Default HTML documents: sslstrip's victim browses *pages* over HTTP, whereas images,
   * OCSP answers and downloads fetched over HTTP from a host that also serves HTTPS are hotlinks
   * and mixed content — the public tls-subjectaltname capture has exactly that (WordPress images
   * from madmaskiner.dk over HTTP, the site itself over HTTPS), which is not stripping.
   */
  strippingContentTypes: string[];
  /** HTTPS names (SNI) and server IPs remembered; the least recently seen is dropped beyond it. */
  maxHttpsServers: number;
  /**
   * Connections with requests waiting for their response (to know which host a response
   * belongs to), and TLS handshakes waiting for the ServerHello. The oldest is dropped beyond
   * it, and an entry idle for `responseTimeout` s: 300, the reassembler's idle timeout.
   */
  maxPendingConnections: number;
  responseTimeout: number;
  /**
   * Most bytes a gzip/deflate/br body prefix may inflate to when looking for a login form. 256 KiB:
   * HTML compresses 4-10x, so it covers a whole maxBody prefix of an ordinary page. A prefix
   * that inflates past it is retried at half the length (at most 12 times), so a decompression
   * bomb costs a few MB of inflating, never the memory.
   */
  maxDecodedBody: number;
}

/**
 * Severity per insecure protocol. The rule of thumb: a protocol that carries a login (or the
 * whole interactive session) in clear is high; one that exposes data or a weaker credential is
 * medium; one with no credential at all is low.
 */
export interface InsecureProtocolSeverities {
  /** Login prompt, password and the whole session in clear. */
  telnet: Severity;
  /** USER/PASS in clear on the control connection. */
  ftp: Severity;
  /** No credentials at all; files in clear (configs, boot images): the least exposure here. */
  tftp: Severity;
  /** Address-based trust (.rhosts) or a clear password, and the session unencrypted. */
  rlogin: Severity;
  /** Address-based trust (spoofable), commands and output in clear. */
  rsh: Severity;
  /** User name and password in clear. */
  rexec: Severity;
  /** Mailbox logins (USER/PASS, LOGIN) and mail in clear. */
  pop3: Severity;
  imap: Severity;
  /** Mail in clear; relays often carry no login, so medium... */
  smtp: Severity;
  /** ...and high once an AUTH exchange went in clear. */
  smtpAuth: Severity;
  /**
   * Simple bind with a password, or a SASL PLAIN/LOGIN bind (the same password in clear, only
   * framed differently — so one key): the password in clear.
   */
  ldapSimple: Severity;
  /** Anonymous / unauthenticated bind (no password): only the directory traffic is exposed. */
  ldapAnonymous: Severity;
  /** v1/v2c community (usually read-only) in clear... */
  snmp: Severity;
  /** ...and high when a set request shows it is a write community. */
  snmpSet: Severity;
  /** Deprecated, unencrypted, the MS17-010 class of remote code execution; no credential in clear (NTLM). */
  smbv1: Severity;
  /** Security type None: no authentication and no encryption. */
  vncNone: Severity;
  /** VNC authentication: DES challenge/response crackable offline, session in clear. */
  vncAuth: Severity;
  /** Base64 user:password in every request. */
  httpBasic: Severity;
}

export interface InsecureProtocolConfig {
  severity: InsecureProtocolSeverities;
  /**
   * A FTP/POP3/IMAP/SMTP connection idle this long (s, packet time) has ended; if only
   * pre-upgrade commands went by and no upgrade, it is judged then. 300: Zeek's tcp_inactivity_timeout, as reassembly.
   */
  idleTimeout: number;
  /** Connections tracked for judgement and counting; the least recently active is settled beyond it. */
  maxConnections: number;
  /** (client, server, port, protocol) counters kept; the oldest is forgotten beyond it (its finding stays). */
  maxFindings: number;
}

export interface ThreatIntelConfig {
  /**
   * Also match private, loopback, link-local, CGNAT, multicast and reserved addresses (RFC 1918,
   * 6598, 3927, 4193, 4291, 5771, 1112) against the feeds. Default false: broad lists such as FireHOL
   * level1 deliberately include the bogon ranges (10.0.0.0/8, 192.168.0.0/16, 224.0.0.0/3 …) for
   * edge firewalls, which would turn every LAN packet into a "blocklisted" hit. Turn it on for
   * feeds of known-bad INTERNAL hosts.
   */
  matchSpecialUseAddresses: boolean;
  /**
   * DNS answer records examined per message (A/AAAA addresses, CNAME targets). Default 32: a
   * CDN answer carries a few CNAMEs and up to ~16 addresses; a forged giant answer stays bounded.
   */
  maxDnsAnswers: number;
}

/**
 * Bounds of the protocol parsers. Each parser bounds its own buffers; `maxBufferedBytes` bounds
 * them all together, so a capture with many connections each holding a partial body or
 * handshake cannot grow memory to gigabytes (65536 connections × 512 KiB of TLS handshake).
 */
export interface ProtocolLimitsConfig {
  /** Connections with parser state at once; the oldest is forgotten beyond it. 65536: as reassembly.maxStreams. */
  maxConnections: number;
  /** Longest line FTP/POP3/IMAP/SMTP keep. 8192: RFC 5321 allows 1000; IMAP lines run longer. */
  maxLineLength: number;
  /** HTTP head size in bytes and header count. 64 KiB / 100: above what servers accept (Apache 8 KiB lines, 100 fields). */
  maxHeaderBytes: number;
  maxHeaders: number;
  /** Body bytes kept per HTTP message for inspection (the rest is counted). 64 KiB: login forms and JSON logins fit. */
  maxBody: number;
  /** TLS handshake bytes buffered per direction. 256 KiB: certificate chains can pass 64 KiB. */
  maxHandshakeBytes: number;
  /** Largest LDAP message decoded. 64 KiB: binds are small; search results are skipped. */
  maxLdapMessage: number;
  /**
   * Bytes held by all parsers together (pending input, kept bodies, handshake fragments, sniffed
   * bytes). Beyond it the least recently active connections holding bytes lose their parser
   * (their partial message is reported as at a close) and the rest of them is ignored.
   * 64 MiB: like reassembly.maxBufferedTotal; ordinary traffic holds a few MiB at most (a
   * thousand connections mid-body), so only a hostile capture reaches it.
   */
  maxBufferedBytes: number;
}

export interface EngineConfig {
  decode: {
    /** IP fragment reassembly timeout (s, packet time). 30 s as Linux' ipfrag_time default. */
    fragmentTimeout: number;
    /** Datagrams being reassembled at once; beyond this the oldest is dropped. */
    maxFragmentDatagrams: number;
    /** Bytes held in pending fragments, all datagrams together. */
    maxFragmentBytes: number;
  };
  reassembly: {
    /** Concurrent TCP streams tracked; the least recently active is evicted beyond this. */
    maxStreams: number;
    /**
     * Out-of-order bytes buffered per direction before the hole is declared lost. Each buffered
     * segment counts 128 bytes on top of its payload, so tiny segments cannot multiply the memory.
     */
    maxBufferedPerDirection: number;
    /** Out-of-order bytes buffered over all streams (segments counted as above). */
    maxBufferedTotal: number;
    /** A stream idle this long (s, packet time) is closed. 300 s, Zeek's tcp_inactivity_timeout default. */
    idleTimeout: number;
  };
  /** Application protocol parsers (the dispatcher behind every protocol event). */
  protocols: ProtocolLimitsConfig;
  /** Findings kept per capture; further new findings are counted and dropped (existing ones still update). */
  maxFindings: number;
  /** Evidence frame numbers kept per finding (the total is always counted). */
  maxEvidenceFrames: number;
  detectors: {
    'packet-anomaly': PacketAnomalyConfig;
    'arp-spoof': ArpSpoofConfig;
    'gateway-mac': GatewayMacConfig;
    'tls-certificate': TlsCertificateConfig;
    'dns-spoof': DnsSpoofConfig;
    'port-scan': PortScanConfig;
    'syn-flood': SynFloodConfig;
    'tcp-hijack': TcpHijackConfig;
    'connection-rate': ConnectionRateConfig;
    'plaintext-credentials': PlaintextCredentialsConfig;
    'network-baseline': NetworkBaselineConfig;
    'cleartext-http': CleartextHttpConfig;
    'insecure-protocol': InsecureProtocolConfig;
    'threat-intel': ThreatIntelConfig;
  };
}

export const DEFAULT_CONFIG: EngineConfig = {
  decode: {
    fragmentTimeout: 30,
    maxFragmentDatagrams: 4096,
    maxFragmentBytes: 32 * 1024 * 1024,
  },
  reassembly: {
    maxStreams: 65536,
    maxBufferedPerDirection: 256 * 1024,
    maxBufferedTotal: 64 * 1024 * 1024,
    idleTimeout: 300,
  },
  protocols: {
    maxConnections: 65536,
    maxLineLength: 8192,
    maxHeaderBytes: 64 * 1024,
    maxHeaders: 100,
    maxBody: 64 * 1024,
    maxHandshakeBytes: 256 * 1024,
    maxLdapMessage: 64 * 1024,
    maxBufferedBytes: 64 * 1024 * 1024,
  },
  maxFindings: 10000,
  maxEvidenceFrames: 50,
  detectors: {
    'packet-anomaly': {
      allowedIpProtocols: [0, 1, 2, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 59, 60, 89, 103, 112, 115, 132, 136],
      maxSourcesPerKind: 256,
      tinyFragmentBytes: 20,
    },
    'arp-spoof': {
      aliveWindow: 300,
      requestWindow: 5,
      unsolicitedReplies: 5,
      unsolicitedWindow: 60,
      manyIpsThreshold: 8,
      virtualMacPrefixes: [...VIRTUAL_ROUTER_MAC_PREFIXES],
      proxyArpMacs: [],
      maxBindings: 65536,
      maxStations: 65536,
    },
    'gateway-mac': {
      gateways: [],
      inferMinPackets: 50,
      inferMinShare: 0.8,
      virtualMacPrefixes: [...VIRTUAL_ROUTER_MAC_PREFIXES],
    },
    'tls-certificate': {
      minRsaBits: 2048,
      weakSignatureAlgorithms: ['md5WithRSAEncryption', 'sha1WithRSAEncryption', 'ecdsa-with-SHA1', 'dsa-with-SHA1'],
      checkHostname: true,
      maxServers: 10000,
      maxConnections: 4096,
    },
    'dns-spoof': {
      queryTimeout: 10,
      raceWindow: 1,
      unsolicitedResponses: 10,
      unsolicitedWindow: 10,
      rebindAllowedSuffixes: [
        'local',
        'localhost',
        'localdomain',
        'lan',
        'home',
        'home.arpa',
        'internal',
        'intranet',
        'corp',
        'private',
        'test',
        'example',
        'invalid',
        'arpa',
      ],
      maxPending: 10000,
    },
    'port-scan': {
      portScanThreshold: 15,
      addrScanThreshold: 25,
      blockScanHosts: 5,
      blockScanPorts: 5,
      interval: 300,
      attemptTimeout: 5,
      udpProbeMaxPayload: 8,
      maxPendingAttempts: 65536,
      maxScanners: 4096,
      maxPairsPerScanner: 16384,
    },
    'syn-flood': {
      minIncompleteRate: 50,
      minIncompleteRatio: 0.5,
      handshakeTimeout: 5,
      episodeGap: 30,
      maxHalfOpen: 65536,
      maxTargets: 4096,
      maxSourcesPerEpisode: 1024,
      topSources: 10,
    },
    'tcp-hijack': {
      ackStormRate: 50,
      windowSlack: 0,
      maxConnections: 65536,
      handshakeTimeout: 5,
      idleTimeout: 300,
    },
    'connection-rate': {
      threshold: 3000,
      window: 60,
      udpFlowTimeout: 60,
      handshakeTimeout: 5,
      maxSources: 4096,
      maxFlows: 65536,
    },
    'plaintext-credentials': {
      userFields: [
        'username',
        'user',
        'user_name',
        'userid',
        'user_id',
        'login',
        'log',
        'email',
        'e-mail',
        'mail',
        'account',
        'uname',
        'usr',
        'name',
        'j_username',
        'pma_username',
        'loginname',
        'login_id',
      ],
      passwordFields: [
        'password',
        'passwd',
        'pass',
        'pwd',
        'pw',
        'passwort',
        'secret',
        'passphrase',
        'pin',
        'j_password',
        'pma_password',
        'current-password',
        'current_password',
        'user_password',
        'login_password',
      ],
      anonymousUsers: ['anonymous', 'ftp'],
      reportAnonymous: true,
      sessionTimeout: 120,
      maxSessions: 65536,
      maxCredentials: 10000,
      maxSecretsPerFinding: 8,
      telnetMaxLine: 256,
      maxDecodedBody: 256 * 1024,
    },
    'network-baseline': {
      learnPeriod: 7 * 24 * 3600,
      internalNetworks: [
        '10.0.0.0/8',
        '172.16.0.0/12',
        '192.168.0.0/16',
        '100.64.0.0/10',
        '169.254.0.0/16',
        'fc00::/7',
        'fe80::/10',
      ],
      ephemeralPortMin: 32768,
      reportNewIpv6OfKnownMac: false,
      volumeZScore: 4,
      volumeMinRatio: 3,
      volumeMinBytes: 10_000_000,
      volumeMinPackets: 10_000,
      connZScore: 4,
      connMinRatio: 3,
      connMinPerHour: 600,
      newPeersThreshold: 100,
      newPeersWindow: 3600,
      udpFlowTimeout: 60,
      forgetAfter: 30 * 24 * 3600,
      maxHosts: 4096,
      maxMacs: 8192,
      maxServices: 8192,
      maxProtocols: 64,
      maxMacsPerHost: 8,
      maxPeersPerHost: 256,
      maxPeersTotal: 262144,
      maxFlows: 65536,
      maxTracked: 65536,
    },
    'cleartext-http': {
      maxHosts: 4096,
      hostIdleTimeout: 3600,
      maxPathsPerHost: 256,
      samplePaths: 5,
      maxPathLength: 100,
      maxClientsPerHost: 16,
      maxIndicatorNames: 8,
      sessionCookieNames: [
        'PHPSESSID',
        'JSESSIONID',
        'ASP.NET_SessionId',
        '.ASPXAUTH',
        'connect.sid',
        'sessionid',
        'session_id',
        'session',
        'sid',
        'laravel_session',
        'ci_session',
        'PLAY_SESSION',
        'CFID',
        'CFTOKEN',
        'rack.session',
        '_session_id',
      ],
      sessionCookiePatterns: [
        '^ASPSESSIONID[A-Z]{8}$',
        '^_[A-Za-z0-9_-]+_session$',
        '^S?SESS[0-9a-f]{32}$',
        '^wordpress_(logged_in|sec)_[0-9a-f]{32}$',
      ],
      passwordFieldPattern: '(^|[^a-z])(pass|pwd|pw)([^a-z]|$)|password|passwd|passwort|passphrase',
      httpsPorts: [443],
      httpsMemory: 86400,
      strippingContentTypes: ['text/html', 'application/xhtml+xml'],
      maxHttpsServers: 16384,
      maxPendingConnections: 4096,
      responseTimeout: 300,
      maxDecodedBody: 256 * 1024,
    },
    'insecure-protocol': {
      severity: {
        telnet: 'high',
        ftp: 'high',
        tftp: 'low',
        rlogin: 'high',
        rsh: 'high',
        rexec: 'high',
        pop3: 'high',
        imap: 'high',
        smtp: 'medium',
        smtpAuth: 'high',
        ldapSimple: 'high',
        ldapAnonymous: 'low',
        snmp: 'medium',
        snmpSet: 'high',
        smbv1: 'medium',
        vncNone: 'high',
        vncAuth: 'medium',
        httpBasic: 'high',
      },
      idleTimeout: 300,
      maxConnections: 65536,
      maxFindings: 10000,
    },
    'threat-intel': {
      matchSpecialUseAddresses: false,
      maxDnsAnswers: 32,
    },
  },
};

export class ConfigError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Deep-merge `override` into a copy of `base`, refusing keys `base` doesn't have and type changes. */
function merge<T>(base: T, override: Json, path: string): T {
  if (override === null || typeof override !== 'object' || Array.isArray(override)) {
    throw new ConfigError(`${path || 'config'} must be an object`);
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) {
    const where = path ? `${path}.${key}` : key;
    if (!(key in out)) throw new ConfigError(`unknown configuration key "${where}"`);
    const current = out[key];
    if (Array.isArray(current)) {
      if (!Array.isArray(value)) throw new ConfigError(`${where} must be an array`);
      out[key] = value;
    } else if (current !== null && typeof current === 'object') {
      out[key] = merge(current, value, where);
    } else if (typeof current !== typeof value) {
      throw new ConfigError(`${where} must be a ${typeof current}`);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}

export function resolveConfig(override?: unknown): EngineConfig {
  if (override === undefined) return structuredClone(DEFAULT_CONFIG);
  return merge(structuredClone(DEFAULT_CONFIG), override as Json, '');
}
