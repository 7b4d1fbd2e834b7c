// The built extension's styles: style/*.css minified (csso) into lib/style/,
// which style/index.js imports. The sources keep their comments; the browser
// gets none of them. Run by `jlpm build:lib` and `jlpm build:lib:prod`.
import { minify } from 'csso';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const source = 'style';
const target = join('lib', 'style');
mkdirSync(target, { recursive: true });
for (const name of readdirSync(source).filter(n => n.endsWith('.css'))) {
  const css = readFileSync(join(source, name), 'utf8');
  writeFileSync(join(target, name), minify(css, { filename: name }).css);
}
