// A client of `ops mcp` on the official TypeScript MCP SDK (@modelcontextprotocol/sdk, pinned by
// scripts/test), run by examples/tests/mcp_typescript.rs with NODE_PATH naming the SDK's
// node_modules (a CommonJS script: ES modules do not read NODE_PATH).
//
//   node client.cjs SERVER_JSON
//
// SERVER_JSON is {"command": PATH, "args": [...], "env": {...}}: the SDK's StdioClientTransport
// starts `ops mcp` as its child process. The script lists the tools, calls triage and prints one
// JSON document: {"tools": [names], "triage": {"isError", "structuredContent", "text"}}.
"use strict";

const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } = require("@modelcontextprotocol/sdk/client/stdio.js");

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
    const triage = await client.callTool({ name: "triage", arguments: {} }, undefined, {
      timeout: 240000,
    });
    const text = (triage.content ?? [])
      .filter((c) => c.type === "text")
      .map((c) => c.text)
      .join("\n");
    const doc = {
      tools: listed.tools.map((t) => t.name),
      triage: {
        isError: triage.isError === true,
        structuredContent: triage.structuredContent ?? null,
        text,
      },
    };
    process.stdout.write(JSON.stringify(doc) + "\n");
  } finally {
    await client.close();
  }
}

main().catch((e) => {
  process.stderr.write(`mcp-typescript client: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
