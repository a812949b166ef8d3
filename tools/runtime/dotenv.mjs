// Parser for `.dev.vars`, the dotenv-format secrets file `wrangler dev` reads.
//
// Follows the `dotenv` package (which wrangler uses) on the cases that matter:
// `KEY=VALUE`, optional `export ` prefix, `#` comment lines, inline ` # comments` after
// unquoted values, single/double/backtick quotes (quoted values may span lines), and `\n`
// escapes inside double quotes. Later keys override earlier ones.

const LINE =
  /^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?$/gm;

export function parseDotenv(text) {
  const out = {};
  const src = String(text).replace(/\r\n?/g, "\n");
  for (const match of src.matchAll(LINE)) {
    const key = match[1];
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    if ((quote === "'" || quote === '"' || quote === "`") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    }
    out[key] = value;
  }
  return out;
}
