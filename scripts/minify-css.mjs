// The built extension's styles: style/*.css, in style/index.css's order,
// minified (csso) into one file, lib/style/notebook-remote.min-css, which
// style/index.js links into the page and webpack.config.js ships as a CSS
// file of its own (a source build of JupyterLab reads style/index.css). The
// sources keep their comments; the browser gets none of them. Run by
// `jlpm build:lib` and `jlpm build:lib:prod`.
import { minify } from 'csso';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const source = 'style';
const target = join('lib', 'style');
mkdirSync(target, { recursive: true });
const order = [
  ...readFileSync(join(source, 'index.css'), 'utf8').matchAll(
    /@import url\('([^']+)'\)/g
  )
].map(match => match[1]);
const css = order
  .map(
    name =>
      minify(readFileSync(join(source, name), 'utf8'), { filename: name }).css
  )
  .join('');
writeFileSync(join(target, 'notebook-remote.min-css'), css);
