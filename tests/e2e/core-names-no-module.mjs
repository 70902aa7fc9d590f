// Fails if the core web app (web/public) names a module: the word "sales" (any case) outside
// comments in its JS, CSS and HTML, or as a key or value of its translation files. A module's
// pages, texts, styles and links ship from its plugin (plugins/<id>/web); see docs/ui.md.
//
//   node tests/e2e/core-names-no-module.mjs [web/public]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] || path.join(here, '..', '..', 'web', 'public'));
const WORD = /\bsales\b/i;
// Files another change of issue #12 is rewriting (the roles page will list deniable fields from
// plugin manifests). Remove an entry as soon as that change lands.
const PENDING = new Set(['js/pages/admin-roles.js']);
// Translation values that are a demo person's job title, not a module ("Sales rep" is the name
// of the core role `rep`).
const TITLES = new Set(['roles.rep']);

/** Drops /* … *\/ blocks and // line comments, keeping strings (URLs contain "//"). */
function stripComments(text) {
  let out = '';
  let i = 0;
  let quote = null;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') { out += next ?? ''; i += 2; continue; }
      if (c === quote) quote = null;
      i += 1;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') { quote = c; out += c; i += 1; continue; }
    if (c === '/' && next === '*') { const end = text.indexOf('*/', i + 2); i = end < 0 ? text.length : end + 2; continue; }
    if (c === '/' && next === '/') { const end = text.indexOf('\n', i); i = end < 0 ? text.length : end; continue; }
    if (c === '<' && text.startsWith('<!--', i)) { const end = text.indexOf('-->', i); i = end < 0 ? text.length : end + 3; continue; }
    out += c;
    i += 1;
  }
  return out;
}

const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) { walk(file); continue; }
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (PENDING.has(rel)) continue;
    const ext = path.extname(name);
    const text = readFileSync(file, 'utf8');
    if (ext === '.json') {
      const visit = (node, key) => {
        if (node && typeof node === 'object') {
          for (const [k, v] of Object.entries(node)) {
            const full = key ? `${key}.${k}` : k;
            if (WORD.test(k)) problems.push(`${rel}: key ${full}`);
            visit(v, full);
          }
        } else if (typeof node === 'string' && WORD.test(node) && !TITLES.has(key)) {
          problems.push(`${rel}: ${key} = ${node}`);
        }
      };
      visit(JSON.parse(text), '');
    } else if (['.js', '.mjs', '.css', '.html'].includes(ext)) {
      stripComments(text).split('\n').forEach((line, n) => { if (WORD.test(line)) problems.push(`${rel}: ${line.trim().slice(0, 120)}`); });
    }
  }
}
walk(root);
if (problems.length) {
  console.log(`not ok - web/public names a module outside comments (move it into the plugin's web/):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`ok - web/public (${root}) names no module outside comments`);
