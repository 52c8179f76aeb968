import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Client } from 'minio';

/**
 * The local S3-compatible server of `scripts/s3.sh` (S3Proxy). Tests fail, never skip, when it
 * is down: `make test` starts it through `scripts/ensure-services.sh --kafka`.
 */
export const s3TestServer = {
  endpointUrl: process.env.S3_TEST_ENDPOINT ?? 'http://127.0.0.1:9555',
  accessKeyId: process.env.S3_TEST_ACCESS_KEY ?? 'readur-test',
  secretAccessKey: process.env.S3_TEST_SECRET_KEY ?? 'readur-test-secret-key',
  region: 'us-east-1',
};

/** A raw minio client on the test server, for assertions that go around our code. */
export function rawS3Client(): Client {
  const url = new URL(s3TestServer.endpointUrl);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: url.protocol === 'https:',
    accessKey: s3TestServer.accessKeyId,
    secretKey: s3TestServer.secretAccessKey,
    region: s3TestServer.region,
    pathStyle: true,
  });
}

/** Removes every object of `bucket`, then the bucket. */
export async function removeBucket(client: Client, bucket: string): Promise<void> {
  if (!(await client.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true)) {
    const name = (item as { name?: string }).name;
    if (name) names.push(name);
  }
  if (names.length > 0) await client.removeObjects(bucket, names);
  await client.removeBucket(bucket);
}

/** A TLS front with a fresh self-signed certificate, forwarding bytes to the S3 server. */
export interface TlsFront {
  url: string;
  close(): Promise<void>;
}

/** Starts a TLS terminator on loopback in front of the S3 test server (self-signed). */
export async function startSelfSignedFront(): Promise<TlsFront> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'readur-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const target = new URL(s3TestServer.endpointUrl);

  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    { key: readFileSync(key), cert: readFileSync(cert) },
    (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const upstream = net.connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  rmSync(dir, { recursive: true, force: true });

  return {
    url: `https://127.0.0.1:${port}`,
    close: () => closeServer(server, sockets),
  };
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A plain HTTP front that forwards every request to the S3 server and records it. */
export interface RecordingFront {
  url: string;
  /** `METHOD /path?query` of each request, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts a recording HTTP front on loopback (the Host header passes unchanged, so signatures hold). */
export async function startRecordingFront(): Promise<RecordingFront> {
  const target = new URL(s3TestServer.endpointUrl);
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = http.request(
      {
        host: target.hostname,
        port: Number(target.port),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => closeServer(server, sockets) };
}
