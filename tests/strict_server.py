"""A strict, independent OpenAI-compatible server: the yardstick for the rate-limit tests and
benchmarks. Nothing in it comes from scribe_tui — it is the standard library's
``ThreadingHTTPServer`` answering ``POST /v1/chat/completions``.

It counts a sliding window **at the moment each request arrives** (requests, and tokens by its
own count: about four characters a token, replies ``completion_factor`` times that) and
answers 429 with ``Retry-After`` when a request would go over. It speaks HTTP/1.0 by default
(a new connection per request) with the standard accept backlog of 5, so a burst of new
connections waits for SYN retransmissions exactly as a plain threaded server on a real
network does: the delay between a client's send and the server's count varies by up to a
second or more. Every arrival is logged (``time.monotonic()``), refused or not.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def count_tokens(text: str) -> int:
    return len(text) // 4 + 1


class StrictServer:
    def __init__(self, *, requests: int | None = None, tokens: int | None = None, window_s: float = 10.0,
                 latency_s: float = 0.1, completion_factor: float = 1.0, keep_alive: bool = False):
        self.requests, self.tokens, self.window_s = requests, tokens, window_s
        self.latency_s, self.completion_factor = latency_s, completion_factor
        self.lock = threading.Lock()
        self.window: deque[tuple[float, int]] = deque()  # (arrival, tokens) of admitted requests
        self.arrivals: list[float] = []
        self.admitted: list[tuple[float, int]] = []
        self.refused = 0
        handler = type("Handler", (_Handler,), {"server_state": self,
                                                "protocol_version": "HTTP/1.1" if keep_alive else "HTTP/1.0"})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> StrictServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self) -> StrictServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def admit(self, now: float, tokens: int) -> float:
        """0 when admitted (and recorded), else seconds until the window has room."""
        with self.lock:
            self.arrivals.append(now)
            while self.window and self.window[0][0] <= now - self.window_s:
                self.window.popleft()
            over_requests = self.requests is not None and len(self.window) + 1 > self.requests
            over_tokens = self.tokens is not None and sum(t for _, t in self.window) + tokens > self.tokens
            if over_requests or over_tokens:
                self.refused += 1
                return max(self.window[0][0] + self.window_s - now, 0.001) if self.window else self.window_s
            self.window.append((now, tokens))
            self.admitted.append((now, tokens))
            return 0.0

    def busiest_window(self, times: list[float] | None = None) -> int:
        """The most arrivals (all of them by default) in any window of ``window_s``."""
        times = sorted(self.arrivals if times is None else times)
        return max((sum(1 for t in times[i:] if t < start + self.window_s) for i, start in enumerate(times)), default=0)


class _Handler(BaseHTTPRequestHandler):
    server_state: StrictServer

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        arrived = time.monotonic()
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        if self.path != "/v1/chat/completions":
            return self._reply(404, {"error": {"message": "not found"}})
        messages = body.get("messages", [])
        text = str(messages[-1].get("content", "")) if messages else ""
        reply = text.upper()
        prompt = sum(count_tokens(str(m.get("content", ""))) for m in messages)
        completion = math.ceil(count_tokens(reply) * self.server_state.completion_factor)
        wait = self.server_state.admit(arrived, prompt + completion)
        if wait:
            error = {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}
            return self._reply(429, {"error": error}, {"Retry-After": str(math.ceil(wait))})
        time.sleep(self.server_state.latency_s)
        self._reply(200, {
            "id": "chatcmpl-strict", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        })

    def _reply(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
