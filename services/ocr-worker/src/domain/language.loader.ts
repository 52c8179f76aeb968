import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

// The integer-quantised LSTM models: close to `best` in accuracy and much faster.
const MODEL_FOLDER = '4.0.0_best_int';
const SCOPE = '@tesseract.js-data';
/** Orientation data, not a language one can read text in. */
const NOT_A_LANGUAGE = new Set(['osd', 'equ']);

/** Every language this worker can read, gathered in one folder for tesseract.js. */
export interface LanguageCatalog {
  /** Language codes, sorted. */
  available: string[];
  langPath: string;
  /** Whether `langPath` holds `.traineddata.gz` (npm packages) or plain `.traineddata`. */
  gzip: boolean;
  /** Removes the temporary folder. */
  dispose(): void;
}

/** Splits `eng+deu` into language codes, rejecting anything that is not a plain code. */
export function parseLanguages(languages: string): string[] {
  const codes = languages.split('+').map((code) => code.trim());
  if (!codes.every((code) => /^[a-z][a-z0-9_]*$/u.test(code))) {
    throw new Error(`Invalid OCR languages '${languages}': expected codes like 'eng+deu'`);
  }

  return codes;
}

/** Languages installed as `@tesseract.js-data/<code>` packages, code -> `.traineddata.gz`. */
function npmLanguages(): Map<string, string> {
  const found = new Map<string, string>();
  for (const modules of require.resolve.paths(SCOPE) ?? []) {
    const scope = path.join(modules, SCOPE);
    if (!existsSync(scope)) continue;

    for (const code of readdirSync(scope)) {
      const file = path.join(scope, code, MODEL_FOLDER, `${code}.traineddata.gz`);
      if (!found.has(code) && !NOT_A_LANGUAGE.has(code) && existsSync(file)) found.set(code, file);
    }
  }
  return found;
}

/** Standard `.traineddata` files in `OCR_LANG_PATH` (e.g. Debian's tesseract-ocr-* packages). */
function folderLanguages(folder: string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  if (!folder) return found;
  if (!existsSync(folder)) throw new Error(`OCR_LANG_PATH '${folder}' does not exist`);

  for (const name of readdirSync(folder)) {
    const code = /^([a-z][a-z0-9_]*)\.traineddata$/u.exec(name)?.[1];
    if (code && !NOT_A_LANGUAGE.has(code)) found.set(code, path.join(folder, name));
  }
  return found;
}

/**
 * Gathers every installed language into one private folder, because tesseract.js reads all
 * languages of an engine from one `langPath`. Nothing is ever downloaded. Models from npm
 * are gzipped and tesseract.js decides per engine whether to gunzip, so when a folder of
 * plain `.traineddata` files (`OCR_LANG_PATH`) is configured, the npm models are unpacked
 * once at start-up; a language found in both comes from `OCR_LANG_PATH`.
 */
export function buildLanguageCatalog(langFolder?: string): LanguageCatalog {
  const fromNpm = npmLanguages();
  const fromFolder = folderLanguages(langFolder);
  const langPath = mkdtempSync(path.join(tmpdir(), 'readur-tessdata-'));
  const gzip = fromFolder.size === 0;

  for (const [code, file] of fromFolder) {
    symlinkSync(file, path.join(langPath, `${code}.traineddata`));
  }
  for (const [code, file] of fromNpm) {
    if (fromFolder.has(code)) continue;
    if (gzip) symlinkSync(file, path.join(langPath, `${code}.traineddata.gz`));
    else writeFileSync(path.join(langPath, `${code}.traineddata`), gunzipSync(readFileSync(file)));
  }

  return {
    available: [...new Set([...fromNpm.keys(), ...fromFolder.keys()])].sort(),
    langPath,
    gzip,
    dispose: () => rmSync(langPath, { recursive: true, force: true }),
  };
}

/** Throws, naming the unknown codes and the available ones, unless every code is installed. */
export function checkLanguages(languages: string, available: readonly string[]): string {
  const codes = parseLanguages(languages);
  const unknown = codes.filter((code) => !available.includes(code));
  if (unknown.length > 0) {
    const missing = unknown.join("', '");
    throw new Error(
      `OCR language '${missing}' is not installed (available: ${available.join(', ')}): ` +
        `add @tesseract.js-data/${unknown[0]} to the ocr-worker, or its .traineddata file ` +
        'to OCR_LANG_PATH',
    );
  }
  return codes.join('+');
}
