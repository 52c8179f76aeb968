import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { v2 as webdav } from 'webdav-server';

/** The base path the test server mounts its folder below, as Nextcloud does. */
export const BASE = '/remote.php/dav/files/ada';

/** A PROPFIND the server answered: the decoded path below the base path and its Depth. */
export interface Propfind {
  path: string;
  depth: string | undefined;
}

/** A hash of the path, size and mtime of `target` and of everything below it. */
async function treeFingerprint(target: string): Promise<string> {
  const hash = createHash('md5');
  const visit = async (current: string) => {
    const info = await stat(current);
    hash.update(`${current}\0${info.size}\0${info.mtimeMs}\n`);
    if (!info.isDirectory()) return;
    for (const name of (await readdir(current)).sort()) await visit(path.join(current, name));
  };
  await visit(target);
  return hash.digest('hex');
}

/**
 * webdav-server's PhysicalFileSystem gives a folder the ETag of its own mtime, which changes only
 * when an entry directly inside it is added, removed or renamed, never when a file deeper down
 * changes. Nextcloud and ownCloud change a folder's ETag when anything below it changes; this
 * file system does the same (a hash over the tree below: fine for a small test tree).
 */
class NextcloudLikeFileSystem extends webdav.PhysicalFileSystem {
  protected override _etag(
    path: webdav.Path,
    _ctx: webdav.ETagInfo,
    callback: webdav.ReturnCallback<string>,
  ): void {
    treeFingerprint(this.getRealPath(path).realPath).then(
      (hash) => callback(undefined, `"${hash}"`),
      () => callback(webdav.Errors.ResourceNotFound),
    );
  }
}

/**
 * A real WebDAV server (webdav-server) on loopback, serving `root` below a base path; it records
 * each PROPFIND, answers 503 to a GET of a path in `refusedGets` and never answers a GET of a
 * path in `hangingGets`.
 */
export async function startWebdav(root: string, nextcloudEtags = false) {
  const users = new webdav.SimpleUserManager();
  const ada = users.addUser('ada', 'app-token-123', false);
  const privileges = new webdav.SimplePathPrivilegeManager();
  privileges.setRights(ada, '/', ['all']);
  const server = new webdav.WebDAVServer({
    port: 0,
    hostname: '127.0.0.1',
    httpAuthentication: new webdav.HTTPBasicAuthentication(users, 'test'),
    privilegeManager: privileges,
  });
  const propfinds: Propfind[] = [];
  const refusedGets = new Set<string>();
  const hangingGets = new Set<string>();
  server.beforeRequest((context, next) => {
    const { method, url = '', headers } = context.request;
    const below = decodeURIComponent(url.slice(BASE.length));
    if (method === 'PROPFIND') propfinds.push({ path: below, depth: headers.depth as string });
    if (method === 'GET' && hangingGets.has(below)) return;
    if (method === 'GET' && refusedGets.has(below)) {
      context.setCode(503);
      context.exit();
      return;
    }
    next();
  });
  const fileSystem = nextcloudEtags
    ? new NextcloudLikeFileSystem(root)
    : new webdav.PhysicalFileSystem(root);
  await new Promise<void>((resolve, reject) =>
    server.setFileSystem(BASE, fileSystem, (ok) =>
      ok ? resolve() : reject(new Error('mount failed')),
    ),
  );
  const listening = await new Promise<import('node:http').Server>((resolve) =>
    server.start((started) => resolve(started as import('node:http').Server)),
  );
  const { port } = listening.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${BASE}`,
    propfinds,
    refusedGets,
    hangingGets,
    stop: () => new Promise<void>((resolve) => server.stop(() => resolve())),
  };
}
