"""A client of `ops mcp` on the official Python MCP SDK (`mcp`, pinned by scripts/test).

The Rust tests (examples/tests/mcp_python.rs) run it and read the one JSON document it prints
on stdout; what went wrong goes to stderr and the exit code is 1.

    client.py (--stdio SERVER_JSON | --http URL [--token TOKEN]) COMMAND ...

SERVER_JSON is {"command": PATH, "args": [...], "env": {...}}: the SDK's stdio client starts
`ops mcp` as its child process. COMMAND is one of
    list                         every tool in its wire form (name, inputSchema, outputSchema, annotations)
    call NAME [ARGUMENTS_JSON]   one tool call: isError, structuredContent, text, the errors of
                                 structuredContent against the tool's outputSchema (jsonschema)
                                 sdkError when the SDK's own check of the result refuses it, and the
                                 progress notifications received for the call
    concurrent N NAME[,NAME...] [--sessions S]
                                 N read-only calls at once (asyncio.gather) spread over S sessions,
                                 tool names taken in turn: how many answered, the errors
    resources [URI...]           the resources and resource templates listed, and the contents of each URI read
    status                       HTTP status of an initialize request sent without a token (--http)
"""

import argparse
import asyncio
import json
import sys
from contextlib import AsyncExitStack, asynccontextmanager

import httpx2
import jsonschema
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolRequest, CallToolRequestParams, CallToolResult, Implementation

CLIENT_NAME = "mcp-ops-python-tests"
CALL_TIMEOUT_SECONDS = 240.0


def client_info():
    return Implementation(name=CLIENT_NAME, version="1.0.0")


@asynccontextmanager
async def connect(opts):
    """One initialized session on the transport the command line names."""
    async with AsyncExitStack() as stack:
        if opts.stdio:
            server = json.loads(opts.stdio)
            params = StdioServerParameters(command=server["command"], args=server.get("args", []), env=server.get("env"))
            read, write = await stack.enter_async_context(stdio_client(params, errlog=sys.stderr))
        else:
            headers = {}
            if opts.token:
                headers["Authorization"] = f"Bearer {opts.token}"
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=CALL_TIMEOUT_SECONDS))
            )
            read, write = await stack.enter_async_context(streamable_http_client(opts.http, http_client=http))
        session = await stack.enter_async_context(ClientSession(read, write, client_info=client_info()))
        await session.initialize()
        yield session


@asynccontextmanager
async def sessions(opts, count):
    """`count` sessions open at once."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(connect(opts)) for _ in range(count)]


def wire(model):
    """A tool or result as it was on the wire (camelCase names, no absent fields)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def tools_by_name(session):
    listed = await session.list_tools()
    return {t.name: wire(t) for t in listed.tools}


def schema_errors(schema, value):
    if schema is None:
        return ["the tool has no outputSchema"]
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def result_document(result, tool):
    text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
    doc = {"isError": bool(result.is_error), "structuredContent": result.structured_content, "text": text}
    if not result.is_error and result.structured_content is not None:
        doc["schemaErrors"] = schema_errors(tool.get("outputSchema"), result.structured_content)
    return doc


async def cmd_list(opts):
    async with connect(opts) as session:
        tools = await tools_by_name(session)
    return {"tools": list(tools.values())}


async def cmd_call(opts):
    arguments = json.loads(opts.arguments) if opts.arguments else {}
    async with connect(opts) as session:
        tools = await tools_by_name(session)
        if opts.name not in tools:
            raise SystemExit(f"no tool {opts.name!r} listed: {sorted(tools)}")
        # The request call_tool sends, then the SDK's own check of its result (call_tool's
        # second half), so that a result the SDK refuses is still shown, with why.
        progress = []

        async def on_progress(value, total, message):
            progress.append({"progress": value, "total": total, "message": message})

        request = CallToolRequest(params=CallToolRequestParams(name=opts.name, arguments=arguments))
        result = await session.send_request(
            request,
            CallToolResult,
            request_read_timeout_seconds=CALL_TIMEOUT_SECONDS,
            progress_callback=on_progress,
        )
        doc = result_document(result, tools[opts.name])
        doc["progress"] = progress
        if not result.is_error:
            try:
                await session.validate_tool_result(opts.name, result)
            except RuntimeError as e:
                doc["sdkError"] = str(e).splitlines()[0]
    return doc


async def cmd_concurrent(opts):
    names = opts.names.split(",")
    answered, errors = 0, []
    async with sessions(opts, opts.sessions) as opened:
        async def one(i):
            session = opened[i % len(opened)]
            name = names[i % len(names)]
            try:
                result = await session.call_tool(name, {}, read_timeout_seconds=CALL_TIMEOUT_SECONDS)
            except Exception as e:  # every failure is counted and named, none stops the others
                return f"{name} #{i}: {type(e).__name__}: {e}"
            if result.is_error:
                return f"{name} #{i}: isError: {result.content}"
            if not isinstance(result.structured_content, dict) or result.structured_content.get("status") not in (
                "ok",
                "failed",
            ):
                return f"{name} #{i}: unexpected structuredContent {result.structured_content!r}"
            return None

        outcomes = await asyncio.gather(*(one(i) for i in range(opts.count)))
    for outcome in outcomes:
        if outcome is None:
            answered += 1
        else:
            errors.append(outcome)
    return {"calls": opts.count, "sessions": opts.sessions, "answered": answered, "errors": errors[:10]}


async def cmd_resources(opts):
    async with connect(opts) as session:
        listed = await session.list_resources()
        templates = await session.list_resource_templates()
        read = {}
        for uri in opts.uris:
            result = await session.read_resource(uri)
            read[uri] = [{"mimeType": c.mime_type, "text": getattr(c, "text", None)} for c in result.contents]
    return {
        "resources": [str(r.uri) for r in listed.resources],
        "templates": [t.uri_template for t in templates.resource_templates],
        "read": read,
    }


async def cmd_status(opts):
    if not opts.http:
        raise SystemExit("status needs --http")
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": CLIENT_NAME, "version": "1.0.0"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if opts.token:
        headers["Authorization"] = f"Bearer {opts.token}"
    async with httpx2.AsyncClient(timeout=30.0) as http:
        response = await http.post(opts.http, json=initialize, headers=headers)
    return {"status": response.status_code}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    transport = parser.add_mutually_exclusive_group(required=True)
    transport.add_argument("--stdio", metavar="SERVER_JSON")
    transport.add_argument("--http", metavar="URL")
    parser.add_argument("--token")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list").set_defaults(run=cmd_list)
    call = commands.add_parser("call")
    call.add_argument("name")
    call.add_argument("arguments", nargs="?")
    call.set_defaults(run=cmd_call)
    concurrent = commands.add_parser("concurrent")
    concurrent.add_argument("count", type=int)
    concurrent.add_argument("names")
    concurrent.add_argument("--sessions", type=int, default=1)
    concurrent.set_defaults(run=cmd_concurrent)
    resources = commands.add_parser("resources")
    resources.add_argument("uris", nargs="*")
    resources.set_defaults(run=cmd_resources)
    commands.add_parser("status").set_defaults(run=cmd_status)
    opts = parser.parse_args()
    print(json.dumps(asyncio.run(opts.run(opts))))


if __name__ == "__main__":
    main()
