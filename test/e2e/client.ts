import fs from 'node:fs';
import path from 'node:path';

/** A signed-in user talking to the gateway the way any API client would. */
export interface ApiUser {
  token: string;
  id: string;
  request(method: string, route: string, body?: unknown): Promise<Response>;
  upload(
    file: string | Buffer,
    filename?: string,
    fields?: Record<string, string>,
  ): Promise<Response>;
}

/** Document JSON as the API returns it (the fields these tests read). */
export interface DocumentJson {
  id: string;
  title: string;
  original_filename: string;
  mime_type: string;
  file_size: number;
  ocr_status: 'pending' | 'processing' | 'completed' | 'failed';
  ocr_failure_reason: string | null;
  page_count: number | null;
}

/** Registers and logs in a fresh user through the gateway. */
export async function signUp(gatewayUrl: string, username: string): Promise<ApiUser> {
  const password = `pw-${username}-Long-enough-1`;
  const json = { 'content-type': 'application/json' };
  const register = await fetch(`${gatewayUrl}/api/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, email: `${username}@example.test`, password }),
  });
  if (register.status !== 201)
    throw new Error(`register ${register.status}: ${await register.text()}`);

  const login = await fetch(`${gatewayUrl}/api/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, password }),
  });
  const { token, user } = (await login.json()) as { token: string; user: { id: string } };
  const auth = { authorization: `Bearer ${token}` };

  return {
    token,
    id: user.id,
    request: (method, route, body) =>
      fetch(`${gatewayUrl}${route}`, {
        method,
        headers: body === undefined ? auth : { ...auth, ...json },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    upload: (file, filename, fields = {}) => {
      const bytes = typeof file === 'string' ? fs.readFileSync(file) : file;
      const name = filename ?? (typeof file === 'string' ? path.basename(file) : 'upload.bin');
      const form = new FormData();
      for (const [key, value] of Object.entries(fields)) form.append(key, value);
      form.append('file', new Blob([bytes]), name);
      return fetch(`${gatewayUrl}/api/documents/upload`, {
        method: 'POST',
        headers: auth,
        body: form,
      });
    },
  };
}

/** Polls the document until OCR has finished (completed or failed). */
export async function waitForOcr(
  user: ApiUser,
  id: string,
  timeoutMs = 120_000,
): Promise<DocumentJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await user.request('GET', `/api/documents/${id}`);
    const document = (await res.json()) as DocumentJson;
    if (document.ocr_status === 'completed' || document.ocr_status === 'failed') return document;
    if (Date.now() > deadline) {
      throw new Error(
        `OCR of ${document.original_filename} still ${document.ocr_status} after ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Lower-cases and folds white space, so OCR line breaks do not decide a match. */
export function normalise(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The shared corpus folder beside the repository, as CI lays it out. */
export const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
