/** A static file server on 127.0.0.1 for the Helm HTTP chart repository: node static-server.ts DIR PORT */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const [root, port] = process.argv.slice(2);
if (!root || !port) throw new Error('usage: static-server.ts DIR PORT');

createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
  const file = join(root, path);
  if (!file.startsWith(root) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
    res.writeHead(404).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': file.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' });
  createReadStream(file).pipe(res);
}).listen(Number(port), '127.0.0.1');
