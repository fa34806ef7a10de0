#!/usr/bin/env python3
"""Fault proxy for bench/registry_bench.sh: forwards 127.0.0.1:LISTEN to 127.0.0.1:UPSTREAM and
counts the response bytes it passes on. With CUT > 0, once that many response bytes went through
it closes every connection and refuses new ones until the file RELEASE exists (so the client's own
retries fail too, as a cut link would). It writes its byte count to COUNT_FILE every 0.2 s.

usage: registry_proxy.py LISTEN UPSTREAM CUT RELEASE COUNT_FILE
"""
import asyncio
import os
import sys

listen, upstream, cut = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
release_file, count_file = sys.argv[4], sys.argv[5]
state = {"bytes": 0, "cut": False}
writers = set()


def refusing():
    return state["cut"] and not os.path.exists(release_file)


async def pipe(reader, writer, count):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if count:
                state["bytes"] += len(data)
                if cut > 0 and not state["cut"] and state["bytes"] >= cut:
                    state["cut"] = True
                    for w in list(writers):
                        w.close()
                    return
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def handle(client_r, client_w):
    if refusing():
        client_w.close()
        return
    try:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream)
    except OSError:
        client_w.close()
        return
    writers.update({client_w, up_w})
    await asyncio.gather(pipe(client_r, up_w, False), pipe(up_r, client_w, True))
    writers.discard(client_w)
    writers.discard(up_w)


async def report():
    while True:
        with open(count_file + ".tmp", "w") as f:
            f.write(str(state["bytes"]))
        os.replace(count_file + ".tmp", count_file)
        await asyncio.sleep(0.2)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    asyncio.create_task(report())
    async with server:
        await server.serve_forever()


asyncio.run(main())
