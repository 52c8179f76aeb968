import { AppError } from '@readur/errors';

/** Reads stored files through the document service, never through a shared disk. */
export class DocumentClient {
  constructor(
    private readonly baseUrl: string,
    private readonly internalToken: string,
  ) {}

  /**
   * The stored bytes of a document, or `undefined` when the document no longer exists.
   * Throws `STORAGE_UNAVAILABLE` when the document service cannot answer.
   */
  async fetchFile(documentId: string, correlationId: string): Promise<Buffer | undefined> {
    const url = `${this.baseUrl}/internal/documents/${encodeURIComponent(documentId)}/file`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { 'x-internal-token': this.internalToken, 'x-correlation-id': correlationId },
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new AppError('STORAGE_UNAVAILABLE', 'document service unreachable', 503, {
        cause: error,
      });
    }

    if (res.status === 404) return undefined;
    if (!res.ok) {
      throw new AppError('STORAGE_UNAVAILABLE', `document service answered ${res.status}`, 503);
    }
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * Hands the searchable PDF of one OCRed page to the document service, which assembles the
   * document's archive from its pages. False when the document no longer exists.
   */
  putArchivePage(
    documentId: string,
    jobId: string,
    page: number,
    pdf: Buffer,
    correlationId: string,
  ): Promise<boolean> {
    const path = `archive/pages/${page}?job_id=${encodeURIComponent(jobId)}`;
    return this.put(documentId, path, pdf, 'application/pdf', correlationId);
  }

  /** Hands the first page's thumbnail (WebP) to the document service; kept once stored. */
  putThumbnail(documentId: string, webp: Buffer, correlationId: string): Promise<boolean> {
    return this.put(documentId, 'thumbnail', webp, 'image/webp', correlationId);
  }

  private async put(
    documentId: string,
    path: string,
    body: Buffer,
    contentType: string,
    correlationId: string,
  ): Promise<boolean> {
    const url = `${this.baseUrl}/internal/documents/${encodeURIComponent(documentId)}/${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'PUT',
        headers: {
          'x-internal-token': this.internalToken,
          'x-correlation-id': correlationId,
          'content-type': contentType,
        },
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new AppError('STORAGE_UNAVAILABLE', 'document service unreachable', 503, {
        cause: error,
      });
    }

    await res.arrayBuffer();
    if (res.status === 404) return false;
    if (!res.ok) {
      throw new AppError('STORAGE_UNAVAILABLE', `document service answered ${res.status}`, 503);
    }
    return true;
  }

  /** Readiness: the document service answers its liveness route. */
  async check(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/api/health`, { signal: AbortSignal.timeout(3_000) });
    if (!res.ok) throw new Error(`document service answered ${res.status}`);
  }
}
