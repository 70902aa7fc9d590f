// Fails if the core names a module: the word "sales" (any case) outside comments in the web app's
// JS, CSS and HTML (web/public) or as a key or value of its translation files, and outside
// comments in the C++ of the host (platform/) and the reporting engine (reports/src). A module's
// pages, texts, styles, dashboards and links ship from its plugin; see docs/ui.md.
//
//   node tests/e2e/core-names-no-module.mjs [web/public]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] || path.join(here, '..', '..', 'web', 'public'));
const WORD = /\bsales\b/i;
const repo = path.resolve(here, '..', '..');
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
    } else if (['.js', '.mjs', '.css', '.html', '.cpp', '.h', '.hpp'].includes(ext)) {
      stripComments(text).split('\n').forEach((line, n) => { if (WORD.test(line)) problems.push(`${rel}: ${line.trim().slice(0, 120)}`); });
    }
  }
}
walk(root);
// The host and the reporting engine: the demo company's people may be "sales" reps (job titles
// in app/Demo.cpp and the demo director's sign-in hint), nothing else.
const cppRoots = [path.join(repo, 'platform'), path.join(repo, 'reports', 'src')].filter((d) => { try { return statSync(d).isDirectory(); } catch { return false; } });
for (const dir of cppRoots) walkCpp(dir);
function walkCpp(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) { walkCpp(file); continue; }
    if (!['.cpp', '.h', '.hpp'].includes(path.extname(name)) || /^Demo\./.test(name) || name.endsWith('.txt')) continue;
    const rel = path.relative(repo, file).split(path.sep).join('/');
    stripComments(readFileSync(file, 'utf8')).split('\n').forEach((line) => {
      if (WORD.test(line) && !line.includes('demo.atrium.example')) problems.push(`${rel}: ${line.trim().slice(0, 120)}`);
    });
  }
}
if (problems.length) {
  console.log(`not ok - the core names a module outside comments (move it into the plugin):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`ok - web/public, platform/ and reports/src name no module outside comments`);
