import type { Readable } from 'node:stream';
import type { FileStat, WebDAVClient } from 'webdav' with { 'resolution-mode': 'import' };
import type { WebdavConfig } from '../source.config';
import {
  baseName,
  hasWantedExtension,
  isHiddenOrTemporary,
  type ListContext,
  type SourceEntry,
  type SourceReader,
} from './reader.types';
import { failWhenIdle, withDeadline } from './request.timeout';

// webdav v5 is ESM-only; this CommonJS service loads it on first use.
const loadWebdav = () => import('webdav');

const withoutTrailingSlash = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
const absolute = (path: string) => (path.startsWith('/') ? path : `/${path}`);

/**
 * Files of a WebDAV server (Nextcloud, ownCloud, generic) through the `webdav` client. The
 * client resolves each href against the server origin and decodes it once, relative to the
 * base path of `server_url`, so paths here are plain, decoded and never carry the base twice.
 * A directory whose ETag is unchanged since the last completed sync is not listed again.
 * A PROPFIND without its whole answer within `timeoutMs`, or a download that sends no data for
 * that long, fails.
 */
export class WebdavReader implements SourceReader {
  private client: WebDAVClient | undefined;

  constructor(
    private readonly config: WebdavConfig,
    private readonly password: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  async *list(context: ListContext): AsyncIterable<SourceEntry> {
    const client = await this.connect();
    for (const folder of this.config.folders) {
      const root = withoutTrailingSlash(absolute(folder));
      const info = await this.stat(client, root);
      if (await this.unchanged(context, root, info.etag)) continue;
      yield* this.walk(client, root, context);
    }
  }

  async open(entry: SourceEntry): Promise<Readable> {
    const client = await this.connect();
    const controller = new AbortController();
    const stream = client.createReadStream(entry.path, {
      signal: controller.signal,
    }) as unknown as Readable;
    // The client pipes the response body into this stream without passing on its errors, so a
    // body that stops arriving is caught here, and its request aborted.
    return failWhenIdle(stream, this.timeoutMs, `WebDAV GET ${entry.path}`, () =>
      controller.abort(),
    );
  }

  async probe(): Promise<void> {
    const client = await this.connect();
    for (const folder of this.config.folders) await this.stat(client, absolute(folder));
  }

  private stat(client: WebDAVClient, path: string): Promise<FileStat> {
    return withDeadline(
      this.timeoutMs,
      `WebDAV PROPFIND ${path}`,
      async (signal) => (await client.stat(path, { signal })) as FileStat,
    );
  }

  private async *walk(
    client: WebDAVClient,
    directory: string,
    context: ListContext,
  ): AsyncGenerator<SourceEntry> {
    // TODO(#8): the webdav client reads a whole PROPFIND answer into memory before it parses it,
    // so one folder's listing (not the tree's) is held at once; it has no streaming variant.
    const items = await withDeadline(this.timeoutMs, `WebDAV PROPFIND ${directory}`, (signal) =>
      client.getDirectoryContents(directory, { signal, details: false }),
    );
    const subdirectories: string[] = [];
    for (const item of items) {
      const path = withoutTrailingSlash(absolute(item.filename));
      const name = baseName(path);
      if (isHiddenOrTemporary(name)) continue;
      if (item.type === 'directory') {
        if (await this.unchanged(context, path, item.etag)) continue;
        subdirectories.push(path);
      } else if (hasWantedExtension(name, this.config.extensions)) {
        yield { path, size: item.size, version: item.etag ?? item.lastmod };
      }
    }
    for (const subdirectory of subdirectories) yield* this.walk(client, subdirectory, context);
  }

  /**
   * Nextcloud and ownCloud change a folder's ETag when anything below it changes; a generic
   * server need not (a plain directory's ETag often follows only its own entries), so only the
   * former let a tree be skipped.
   */
  private async unchanged(context: ListContext, path: string, etag: string | null | undefined) {
    if (this.config.server_type === 'generic' || !etag) return false;
    return context.unchangedDirectory(path, etag);
  }

  private async connect(): Promise<WebDAVClient> {
    if (this.client) return this.client;
    const { createClient } = await loadWebdav();
    this.client = createClient(this.config.server_url, {
      username: this.config.username,
      ...(this.password === undefined ? {} : { password: this.password }),
    });
    return this.client;
  }
}
