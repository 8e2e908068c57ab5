// A small static file server for www/ (used by `./build.sh serve` and the browser tests):
// correct MIME types (application/wasm for the module), gzip for text and wasm when the client
// accepts it, ETag revalidation, no directory listings, nothing outside the root, and
// `Access-Control-Allow-Origin: *` so that an article on another origin can load
// `incontext-demo.js` as a module script (module scripts are fetched with CORS).
//
//   node tests/browser/server.mjs [--port 8080] [--root www] [--host 127.0.0.1]

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
  '.ts': 'text/plain; charset=utf-8',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.csv', '.md', '.svg', '.wasm', '.safetensors', '.onnx', '.ts']);

/**
 * Starts serving `root` on `host:port` (port 0 picks a free one); `cors: false` leaves out the
 * cross-origin header (the tests' stand-in for a host that does not send it); `redirects` maps
 * paths to a 301 location (a host that sends /index.html to /, say). Resolves to
 * `{server, url, close()}`.
 */
export async function startServer({ root, port = 0, host = '127.0.0.1', quiet = true, cors = true, redirects = {} } = {}) {
  const base = resolve(root);
  const gzipCache = new Map(); // path → {mtimeMs, body}
  const server = createServer(async (req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(req.url.split(/[?#]/)[0]);
    } catch {
      return send(400, 'bad request\n');
    }
    if (Object.hasOwn(redirects, path)) {
      res.writeHead(301, { Location: redirects[path] });
      return res.end();
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return send(403, 'forbidden\n');
    let info;
    try {
      info = await stat(file);
    } catch {
      return send(404, 'not found\n');
    }
    if (!info.isFile()) return send(404, 'not found\n');
    const ext = extname(file).toLowerCase();
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const headers = {
      'Content-Type': MIME[ext] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
      ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}),
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return res.end();
    }
    let body = await readFile(file);
    const gzip = COMPRESSIBLE.has(ext) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (gzip) {
      const cached = gzipCache.get(file);
      if (cached?.mtimeMs === info.mtimeMs) body = cached.body;
      else {
        body = gzipSync(body, { level: 6 });
        gzipCache.set(file, { mtimeMs: info.mtimeMs, body });
      }
      headers['Content-Encoding'] = 'gzip';
      headers.Vary = 'Accept-Encoding';
    }
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    if (!quiet) console.log(`${req.method} ${path} ${body.length} B${gzip ? ' (gzip)' : ''}`);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const url = `http://${host}:${server.address().port}/`;
  return { server, url, close: () => new Promise((ok) => server.close(ok)) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const port = Number(opt('port', '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port needs an integer in 0..65535 (got ${opt('port')})`);
    process.exit(2);
  }
  const { url } = await startServer({ root: opt('root', 'www'), port, host: opt('host', '127.0.0.1'), quiet: false });
  console.log(`serving ${opt('root', 'www')} at ${url} (Ctrl-C stops)`);
}
