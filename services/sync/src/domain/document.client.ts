import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An answer of the document service's internal routes. */
interface Answer {
  status: number;
  body: unknown;
}

/** Why the document service refused a file; `retryable` failures are tried again later. */
export class DocumentServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DocumentServiceError';
  }
}

/** What creating a document from a source file gave. */
export type IngestResult = { document_id: string; created: boolean };

/** What sending new content gave. */
export type ReplaceResult = { changed: boolean } | { missing: true };

const codeOf = (body: unknown): string =>
  (body as { code?: string } | undefined)?.code ?? 'DOCUMENT_SERVICE_ERROR';

/**
 * The document service's internal ingest routes (`/internal/documents`), with the internal
 * token. Bodies are streamed; names travel percent-encoded in headers. A request whose
 * connection sees no traffic for `timeoutMs` (no answer, or a body that is not taken) fails.
 */
export class DocumentClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  /** Creates a document; an identical file the user already has is linked, not duplicated. */
  async ingest(input: {
    userId: string;
    sourceId: string;
    sourcePath: string;
    filename: string;
    body: Readable;
  }): Promise<IngestResult> {
    const answer = await this.send('POST', '/internal/documents', input.body, {
      'X-User-Id': input.userId,
      'X-Source-Id': input.sourceId,
      'X-Source-Path': encodeURIComponent(input.sourcePath),
      'X-Filename': encodeURIComponent(input.filename),
    });
    if (answer.status === 201) {
      return { document_id: (answer.body as { id: string }).id, created: true };
    }
    if (answer.status === 409 && codeOf(answer.body) === 'DUPLICATE_DOCUMENT') {
      const details = (answer.body as { details?: { existing_document_id?: string } }).details;
      if (details?.existing_document_id) {
        return { document_id: details.existing_document_id, created: false };
      }
    }
    throw this.failure(answer);
  }

  /** Sends new content for a document; `missing` when the user deleted the document. */
  async replace(userId: string, documentId: string, body: Readable): Promise<ReplaceResult> {
    const answer = await this.send('PUT', `/internal/documents/${documentId}/content`, body, {
      'X-User-Id': userId,
    });
    if (answer.status === 200) return { changed: (answer.body as { changed: boolean }).changed };
    if (answer.status === 404) return { missing: true };
    throw this.failure(answer);
  }

  /** Removes a document whose file was deleted at its source; absent is fine. */
  async remove(userId: string, documentId: string): Promise<void> {
    const answer = await this.send('DELETE', `/internal/documents/${documentId}`, undefined, {
      'X-User-Id': userId,
    });
    if (answer.status !== 204 && answer.status !== 404) throw this.failure(answer);
  }

  private failure(answer: Answer): DocumentServiceError {
    const message =
      (answer.body as { error?: string } | undefined)?.error ?? `HTTP ${answer.status}`;
    return new DocumentServiceError(answer.status, codeOf(answer.body), message);
  }

  private send(
    method: string,
    path: string,
    body: Readable | undefined,
    headers: Record<string, string>,
  ): Promise<Answer> {
    const url = new URL(path, this.baseUrl);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, fail) => {
      let timedOut: DocumentServiceError | undefined;
      const reject = (error: unknown) => fail(timedOut ?? asError(error));
      const request = transport.request(
        url,
        {
          method,
          headers: {
            ...headers,
            'X-Internal-Token': this.token,
            'Content-Type': 'application/octet-stream',
          },
        },
        (response) => void readAnswer(response).then(resolve, reject),
      );
      request.on('error', reject);
      request.setTimeout(this.timeoutMs, () => {
        timedOut = this.timeoutError(request, `${method} ${path}`);
        request.destroy(timedOut);
      });

      if (!body) {
        request.end();
        return;
      }
      pipeline(body, request).catch((error: unknown) => {
        request.destroy();
        reject(error);
      });
    });
  }

  private timeoutError(request: http.ClientRequest, call: string): DocumentServiceError {
    // Before the whole body is sent either side may have stalled: the message blames neither.
    const what = request.writableFinished
      ? `the document service did not answer within ${this.timeoutMs} ms`
      : `no data reached the document service for ${this.timeoutMs} ms`;
    return new DocumentServiceError(504, 'DOCUMENT_SERVICE_TIMEOUT', `${what} (${call})`);
  }
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/** The status and the JSON body (if any) of an answer. */
function readAnswer(response: http.IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', reject);
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      resolve({ status: response.statusCode ?? 502, body: parsed });
    });
  });
}
