#!/usr/bin/env python3
"""Submit an agent task to ops-core's HTTP API and follow it to the end.

Python 3 standard library only (urllib): POST /api/v1/tasks, then read the task's
Server-Sent Events (GET /api/v1/tasks/{id}/events), parsed by hand, printing each status,
and finally the result (its "answer" when it has one, else the whole result as JSON).

    python3 client.py "What is 6 * 7?"
    python3 client.py --url http://127.0.0.1:8080 --token "$OPS_API_TOKEN" --task-id job-1 "..."

Exit codes: 0 the task completed, 1 it failed or was cancelled (or the wait timed out),
2 bad usage or an HTTP error from the server, 3 the server could not be reached.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

TERMINAL = {"completed", "failed", "cancelled"}


class ApiError(Exception):
    """The server answered with an error body: {"error": {"code", "message"}}."""

    def __init__(self, status, code, message):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status


def request(method, url, token, body=None, headers=None, timeout=30):
    """Sends one request and returns the open response (the caller reads or streams it)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read().decode("utf-8"))["error"]
        except (ValueError, KeyError, TypeError):
            detail = {"code": "http_error", "message": error.reason}
        raise ApiError(error.code, detail.get("code"), detail.get("message")) from None


def submit(base, token, goal, task_id=None):
    """POST /api/v1/tasks; returns the task (201 created, or 200 when already submitted)."""
    body = {"task_type": "agent_task", "input_data": {"goal": goal}}
    if task_id:
        body["task_id"] = task_id
    with request("POST", f"{base}/api/v1/tasks", token, body) as response:
        return json.loads(response.read().decode("utf-8"))


def events(response):
    """Yields (event, data) from a text/event-stream response, parsed line by line."""
    event, data = "message", []
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue  # a comment: the server's heartbeat
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            # "id" and "retry" are not needed here


def follow(base, token, task_id, deadline):
    """Prints each status change; returns the final task. Reconnects if the stream drops early."""
    last = None
    while time.monotonic() < deadline:
        url = f"{base}/api/v1/tasks/{task_id}/events"
        try:
            with request("GET", url, token, timeout=60) as response:
                for event, data in events(response):
                    if event == "error":
                        raise ApiError(503, "stream_error", json.loads(data)["error"]["message"])
                    if event != "status":
                        continue
                    task = json.loads(data)
                    if task["status"] != last:
                        last = task["status"]
                        print(f"{task_id} {last}", flush=True)
                    if last in TERMINAL:
                        return task
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            print(f"stream interrupted ({error}); reconnecting", file=sys.stderr)
            time.sleep(1)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("goal", help="what the agent should achieve")
    parser.add_argument("--url", default=os.environ.get("OPS_API_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--token", default=os.environ.get("OPS_API_TOKEN"), help="bearer token")
    parser.add_argument("--task-id", help="choose the id (a retry with the same id submits nothing new)")
    parser.add_argument("--timeout", type=float, default=300, help="longest wait, in seconds")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    try:
        task = submit(base, args.token, args.goal, args.task_id)
        print(f"{task['task_id']} submitted", flush=True)
        final = follow(base, args.token, task["task_id"], time.monotonic() + args.timeout)
    except ApiError as error:
        print(f"client.py: {error}", file=sys.stderr)
        return 2
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        print(f"client.py: cannot reach {base}: {error}", file=sys.stderr)
        return 3
    if final is None:
        print(f"client.py: the task did not finish within {args.timeout:g} s", file=sys.stderr)
        return 1
    if final["status"] != "completed":
        print(f"{final['status']}: {final.get('error')}")
        return 1
    result = final["result"]
    answer = result.get("answer") if isinstance(result, dict) else None
    print(answer if isinstance(answer, str) else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
