import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { PDFDocument } from 'pdf-lib';
import type { Logger } from '@readur/logger';
import type { Storage } from '@readur/storage';

/** Where a document's derived files live: beside the originals, under their own prefix. */
export const derivedKeys = (userId: string, documentId: string) => ({
  archive: `derived/${userId}/${documentId}/archive.pdf`,
  thumbnail: `derived/${userId}/${documentId}/thumbnail.webp`,
  archivePage: (jobId: string, page: number) =>
    `derived/${userId}/${documentId}/pages/${jobId}/${page}.pdf`,
});

/** What the archive is made of. */
export interface ArchiveSource {
  userId: string;
  documentId: string;
  /** The original's storage key and type: pages without an OCR page PDF are copied from it. */
  originalKey: string;
  mimeType: string;
  pageCount: number;
  /** page -> storage key of the searchable PDF a worker made of that page. */
  pages: Map<number, string>;
}

const readAll = async (storage: Storage, key: string) => buffer(await storage.get(key));

/**
 * Merges the searchable page PDFs (the scan plus an invisible text layer, made by tesseract)
 * in page order, taking pages that had a good text layer from the original PDF, and stores
 * the result; the original is never written. Resolves to the archive's key, or `undefined`
 * when the document has no OCRed page or a page cannot be had (an original that pdf-lib
 * cannot open, e.g. encrypted): a missing archive never fails the OCR result.
 */
export async function buildArchive(
  storage: Storage,
  source: ArchiveSource,
  logger: Logger,
): Promise<string | undefined> {
  if (source.pages.size === 0) return undefined;

  const archive = await PDFDocument.create();
  let original: PDFDocument | undefined;
  for (let page = 1; page <= source.pageCount; page++) {
    const part = source.pages.get(page);
    if (part) {
      const pdf = await PDFDocument.load(await readAll(storage, part));
      const [copied] = await archive.copyPages(pdf, [0]);
      if (copied) archive.addPage(copied);
      continue;
    }

    original ??= await loadOriginal(storage, source, logger);
    if (!original || page > original.getPageCount()) return undefined;
    const [copied] = await archive.copyPages(original, [page - 1]);
    if (copied) archive.addPage(copied);
  }

  const key = derivedKeys(source.userId, source.documentId).archive;
  archive.setProducer('Readur');
  await storage.put(key, Readable.from([Buffer.from(await archive.save())]));
  return key;
}

async function loadOriginal(
  storage: Storage,
  source: ArchiveSource,
  logger: Logger,
): Promise<PDFDocument | undefined> {
  if (!source.mimeType.includes('pdf')) return undefined;
  try {
    return await PDFDocument.load(await readAll(storage, source.originalKey));
  } catch (error) {
    logger.warn('archive PDF left out: the original cannot be copied', {
      document_id: source.documentId,
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}
