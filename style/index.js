// The styles as built (minified from ./base.css and ./schedule.css by
// scripts/minify-css.mjs, which `jlpm build:lib` runs).
import '../lib/style/base.css';
import '../lib/style/schedule.css';
