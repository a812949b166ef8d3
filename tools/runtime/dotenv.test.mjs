import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDotenv } from "./dotenv.mjs";

test("plain pairs, comments and blank lines", () => {
  const text = "# secrets\nAPI_TOKEN=dev-token\n\nOTHER = spaced \n";
  assert.deepEqual(parseDotenv(text), { API_TOKEN: "dev-token", OTHER: "spaced" });
});

test("quotes, inline comments and escapes", () => {
  const text = [
    'A="quoted # not a comment"',
    "B='single'",
    "C=value # comment",
    'D="line1\\nline2"',
    "E='no \\n escape'",
    "F=",
    "export G=exported",
    'H="multi',
    'line"',
  ].join("\n");
  assert.deepEqual(parseDotenv(text), {
    A: "quoted # not a comment",
    B: "single",
    C: "value",
    D: "line1\nline2",
    E: "no \\n escape",
    F: "",
    G: "exported",
    H: "multi\nline",
  });
});

test("CRLF files and later keys win", () => {
  assert.deepEqual(parseDotenv("A=1\r\nA=2\r\n"), { A: "2" });
});
