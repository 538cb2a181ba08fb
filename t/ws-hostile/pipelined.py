# pipelined.py PORT SIZE: the handshake and a SIZE-byte text frame in one
# write; fails when the echo does not come within 3 s
import sys, time, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port, size = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(); s.connect(("127.0.0.1", port))
s.sendall(hs("/r/echo", "127.0.0.1:%d" % port) + frame(1, b"z" * size))
s.settimeout(3); buf = b""
try:
    while buf.count(b"z") < size:
        d = s.recv(65536)
        if not d: break
        buf += d
except socket.timeout: pass
n = buf.split(b"\r\n\r\n", 1)[-1].count(b"z")
print("pipelined %d: %d bytes echoed" % (size, n))
sys.exit(0 if n == size else 1)
