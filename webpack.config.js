/**
 * Extra webpack settings merged into `jupyter labextension build`'s own
 * (package.json, `jupyterlab.webpackConfig`).
 *
 * Only the minifier changes: besides the usual renaming of local names,
 * Terser renames this package's private members (`_name`: the house's
 * spelling of TypeScript's `private`), which are long and repeated and which
 * nothing outside the bundle reads. The TranslationBundle methods `_n`, `_p`
 * and `_np` are JupyterLab's, and keep their names.
 */
const TerserPlugin = require('terser-webpack-plugin');

module.exports = {
  module: {
    rules: [
      {
        // The minified styles (style/index.js): a CSS file of their own, as
        // the browser reads CSS, rather than a string in the JS. Their own
        // extension keeps them from the builder's style-loader rule for .css.
        test: /\.min-css$/,
        type: 'asset/resource',
        generator: { filename: '[contenthash].css' }
      }
    ]
  },
  optimization: {
    minimizer: [
      new TerserPlugin({
        extractComments: false,
        terserOptions: {
          ecma: 2020,
          compress: { passes: 2 },
          mangle: {
            properties: { regex: /^_[a-z]/, reserved: ['_n', '_p', '_np'] }
          },
          format: { comments: false }
        }
      })
    ]
  }
};
