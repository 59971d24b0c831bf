/**
 * The measurement children run under tsx (they are TypeScript), and tsx turns on Node's
 * source-map support for the whole process. With it on, importing the built package makes Node
 * read and decode the package's source maps (about 2.5 MB for the ES module build): 35–80 ms
 * more import on this project's machine, and garbage that the first call then collects. A user
 * who runs `node app.js` has it off. So a child turns it off again before it imports anything it
 * measures: the columns time the package as plain Node runs it. (With `--enable-source-maps`,
 * tsx, ts-node or a test runner, a user pays that import cost once per process.)
 */
export const asPlainNode = (): void => {
  process.setSourceMapsEnabled(false)
}
