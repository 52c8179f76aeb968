// Lets a child process run the TypeScript sources the way jest does: `node -r ./ts-register.cjs x.ts`.
// `@readur/<name>` resolves to packages/<name>/src, as in the root jest config.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const root = path.resolve(__dirname, '../../../..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = /^@readur\/([^/]+)$/.exec(request);
  const target = match ? path.join(root, 'packages', match[1], 'src', 'index.ts') : request;
  return resolve.call(this, target, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};
