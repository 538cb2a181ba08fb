# edge1024.py PORT: handshake + an 8-byte frame, exactly 1024 bytes (the
# client_header_buffer_size) in one write: the frame ends at the header
# buffer's end; the echo must come (under valgrind: an invalid write)
import sys, time, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port = int(sys.argv[1]); f = frame(1, b"hi")
base = hs("/r/echo", "127.0.0.1:%d" % port, "X-Pad: \r\n")
req = hs("/r/echo", "127.0.0.1:%d" % port, "X-Pad: " + "a" * (1024 - len(base) - len(f)) + "\r\n") + f
assert len(req) == 1024
s = socket.socket(); s.connect(("127.0.0.1", port)); s.sendall(req); s.settimeout(5); buf = b""
try:
    while not buf.endswith(b"\x81\x02hi"):
        d = s.recv(4096)
        if not d: break
        buf += d
except socket.timeout: pass
print("edge1024: echo", "ok" if buf.endswith(b"\x81\x02hi") else "missing")
sys.exit(0 if buf.endswith(b"\x81\x02hi") else 1)
