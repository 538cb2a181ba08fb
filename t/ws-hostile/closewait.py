# closewait.py PORT PATH [MSG]: the server closes (in on_open, or on MSG);
# the client never answers the Close; fails unless the server drops the
# connection within NGX_CWEB_WS_CLOSE_WAIT (5 s) + 1.5 s
import sys, time, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port, path = int(sys.argv[1]), sys.argv[2]
s, r = connect(port, path)
if len(sys.argv) > 3: s.sendall(frame(1, sys.argv[3].encode()))
t0 = time.time(); s.settimeout(40); buf = b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
t = time.time() - t0
print("closewait %s: %s, eof after %s 6.5 s" % (path, "close" if b"\x88" in buf else "no close", "<" if t < 6.5 else ">="))
sys.exit(0 if t < 6.5 else 1)
