// The styles as built: style/*.css minified into one file by
// scripts/minify-css.mjs (which `jlpm build:lib` runs), shipped as a CSS
// file of its own (webpack.config.js) and linked into the page once.
const node = document.createElement('link');
node.rel = 'stylesheet';
node.href = new URL(
  '../lib/style/notebook-remote.min-css',
  import.meta.url
).href;
document.head.appendChild(node);
