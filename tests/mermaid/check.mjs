// Parses Mermaid diagrams with Mermaid's own parser, the one GitHub renders with.
//
// Usage: node check.mjs FILE...   (exit 0: every file parses as a sequence diagram)
//
// Mermaid expects a browser; jsdom supplies the `window` and `document` its sanitiser
// looks for. Parsing needs no layout, so no browser is started.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  try {
    const result = await mermaid.parse(text);
    if (result.diagramType !== 'sequence') {
      throw new Error(`parsed as ${result.diagramType}, not a sequence diagram`);
    }
  } catch (e) {
    failed += 1;
    console.error(`${file}: ${String(e.message ?? e)}`);
  }
}
const { version } = JSON.parse(
  readFileSync(new URL('./node_modules/mermaid/package.json', import.meta.url), 'utf8'),
);
console.log(`mermaid ${version}: ${process.argv.length - 2 - failed} parsed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
