// A client of `ops mcp` on the official TypeScript MCP SDK (@modelcontextprotocol/sdk, pinned by
// scripts/test), run by examples/tests/mcp_typescript.rs with NODE_PATH naming the SDK's
// node_modules (a CommonJS script: ES modules do not read NODE_PATH).
//
//   node client.cjs SERVER_JSON [CALL_JSON]
//
// SERVER_JSON is {"command": PATH, "args": [...], "env": {...}}: the SDK's StdioClientTransport
// starts `ops mcp` as its child process. The script lists the tools, calls triage (and the tool
// of CALL_JSON, {"name", "arguments"}, when given) and prints one JSON document:
// {"tools": [names], "triage": RESULT, "call": RESULT}, a RESULT being
// {"isError", "structuredContent", "text"}. The SDK's Client checks structured content against
// the tool's output schema itself: a mismatch is an error (exit 1).
"use strict";

const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } = require("@modelcontextprotocol/sdk/client/stdio.js");

async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 240000 });
  const text = (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
  return {
    isError: result.isError === true,
    structuredContent: result.structuredContent ?? null,
    text,
  };
}

async function main() {
  const server = JSON.parse(process.argv[2]);
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args ?? [],
    env: server.env,
    stderr: "inherit",
  });
  const client = new Client({ name: "mcp-ops-typescript-tests", version: "1.0.0" });
  await client.connect(transport);
  try {
    const listed = await client.listTools();
    const doc = {
      tools: listed.tools.map((t) => t.name),
      triage: await call(client, "triage", {}),
    };
    if (process.argv[3]) {
      const { name, arguments: args } = JSON.parse(process.argv[3]);
      doc.call = await call(client, name, args ?? {});
    }
    process.stdout.write(JSON.stringify(doc) + "\n");
  } finally {
    await client.close();
  }
}

main().catch((e) => {
  process.stderr.write(`mcp-typescript client: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
