import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The integer-quantised LSTM models: close to `best` in accuracy and much faster.
const MODEL_FOLDER = '4.0.0_best_int';

/** Where tesseract.js finds `<code>.traineddata.gz` for every requested language. */
export interface LanguageSet {
  /** Codes joined for tesseract, e.g. `eng+deu`. */
  languages: string;
  langPath: string;
  /** Removes the temporary folder, if one was made. */
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

function resolveModelFolder(code: string): string {
  let folder: string | undefined;
  try {
    const packageJson = require.resolve(`@tesseract.js-data/${code}/package.json`);
    folder = path.join(path.dirname(packageJson), MODEL_FOLDER);
  } catch {
    // Reported below together with a model file that is missing from an installed package.
  }

  if (folder === undefined || !existsSync(path.join(folder, `${code}.traineddata.gz`))) {
    throw new Error(
      `OCR language '${code}' is not installed: add @tesseract.js-data/${code} to the ocr-worker`,
    );
  }

  return folder;
}

/**
 * Finds each language's model in its npm package, so engines never touch the network and a
 * missing language fails at start-up instead of on the first document. tesseract.js reads
 * all languages from one `langPath`, but each package has its own folder, so several
 * languages are gathered as symlinks in a private temporary folder. (Passing the model bytes
 * as `{ code, data }` would avoid the folder, but tesseract.js 7 then initialises with the
 * bytes in place of the code.)
 */
export function resolveLanguages(languages: string): LanguageSet {
  const codes = parseLanguages(languages);
  const folders = codes.map(resolveModelFolder);
  const joined = codes.join('+');

  if (codes.length === 1 && folders[0] !== undefined) {
    return { languages: joined, langPath: folders[0], dispose: () => undefined };
  }

  const langPath = mkdtempSync(path.join(tmpdir(), 'readur-tessdata-'));
  codes.forEach((code, index) => {
    const file = `${code}.traineddata.gz`;
    symlinkSync(path.join(folders[index] ?? '', file), path.join(langPath, file));
  });

  return {
    languages: joined,
    langPath,
    dispose: () => rmSync(langPath, { recursive: true, force: true }),
  };
}
