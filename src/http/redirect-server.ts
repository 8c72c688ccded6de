import { createServer, type Server } from 'node:http';

/** A Host header we are willing to put in a Location: a DNS name or an IPv4/[IPv6] literal, optional port. */
const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/;

/**
 * Plain HTTP listener (HTTP_REDIRECT_PORT) that answers every request with 308 to the same path
 * on https: 308 keeps the method and body, so a POST is not silently turned into a GET. Nothing
 * is served over plain HTTP, not even /health.
 */
export function startRedirectServer(port: number, host: string, httpsPort: number): Promise<Server> {
  const server = createServer((req, res) => {
    const given = req.headers.host ?? '';
    const name = HOST.test(given) ? given.replace(/:\d+$/, '') : host.includes(':') ? `[${host}]` : host;
    const target = `https://${name}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
    res.writeHead(308, { Location: target, 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end(`use ${target}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
