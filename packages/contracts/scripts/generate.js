// Writes the generated JSON Schema files and the AsyncAPI document from the compiled zod
// source. Run `pnpm --filter @readur/contracts generate` after changing an event.
const fs = require('node:fs');
const path = require('node:path');
const { jsonSchemaFiles, asyncApiDocument } = require('../dist');

const root = path.join(__dirname, '..');
fs.mkdirSync(path.join(root, 'schemas'), { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemaFiles())) {
  fs.writeFileSync(path.join(root, 'schemas', name), `${JSON.stringify(schema, null, 2)}\n`);
}
fs.writeFileSync(
  path.join(root, 'asyncapi.json'),
  `${JSON.stringify(asyncApiDocument(), null, 2)}\n`,
);
console.log('wrote schemas/ and asyncapi.json');
